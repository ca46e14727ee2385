#include "storage/FdIo.h"

#include <errno.h>
#include <unistd.h>

namespace ckrr {

int write_all(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return ENOSPC;
    p += n;
    len -= size_t(n);
  }
  return 0;
}

ssize_t pread_all(int fd, void* data, size_t len, off_t offset) {
  char* p = static_cast<char*>(data);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, p + done, len - done, offset + off_t(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += size_t(n);
  }
  return ssize_t(done);
}

}  // namespace ckrr
