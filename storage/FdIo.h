#pragma once
// Whole-buffer I/O on file descriptors: loops over short reads/writes and EINTR, so callers
// never see a partial transfer.
#include <sys/types.h>

#include <cstddef>

namespace ckrr {

// Writes all len bytes. Returns 0, or the errno of the failure (ENOSPC for a short write that
// made no progress).
int write_all(int fd, const void* data, size_t len);
// Reads up to len bytes at offset; returns the count (short only at end of file), or -1 with errno.
ssize_t pread_all(int fd, void* data, size_t len, off_t offset);

}  // namespace ckrr
