#pragma once
// Rebuilds the fd table of a process restored from a checkpoint for a live restart. Replay
// emulates every fd, so the restorer leaves only what the stub inherited: ckrr's own stdin,
// stdout and stderr at 0-2. A live process needs the real files back, at the same numbers,
// offsets and close-on-exec flags, opened by syscalls injected into it (so they are its own).
//
// Rules, fd by fd (the manifest's list, from /proc/PID/fd and fdinfo at the checkpoint):
//  - an fd that referred to the stdin/stdout/stderr ckrr record was started with (terminal,
//    pipe or redirected file: ProcessState's std_stream) is connected to the same stream of
//    `ckrr restart` itself: the program talks to whoever restarted it;
//  - a path is opened again with the saved flags minus O_CREAT|O_TRUNC|O_EXCL (the file exists
//    and its contents are what the restart continues from) and moved to its saved offset;
//  - a writable O_APPEND file that grew past its saved offset since the checkpoint is truncated
//    back to it: what was appended after the checkpoint is appended again by the resumed
//    program, so keeping it would duplicate it. This is only right for files the program alone
//    appends to (logs, journals of its own work), which is what O_APPEND at a checkpoint most
//    often means; no other file is ever truncated (its later writes land at the same offsets
//    again);
//  - what cannot be opened by path (pipes, sockets, deleted files, FIFOs whose open would
//    block, anon inodes) becomes /dev/null, with a warning naming it.
#include <map>
#include <string>
#include <vector>

#include "checkpoint/CheckpointManifest.h"
#include "core/Task.h"

namespace ckrr {

struct FdReopenResult {
  std::vector<std::string> warnings;  // one line per fd that became /dev/null or failed
  std::vector<std::string> notes;     // truncated append files
};

// std_stream_of: saved fd -> 0/1/2 for fds that were ckrr record's stdio. substitutes (may be
// null): saved fd path -> a path to open instead with the saved flags (the pipes a tree restart
// re-creates: "pipe:[N]" -> /proc/<ckrr>/fd/<its end>), or "ckrr-fd:<N>": ckrr's own fd N,
// taken with pidfd_getfd (sockets, which no path opens). The task must be
// stopped with ckrr's scratch page mapped, its fds 0-2 being the caller's stdio. Throws Error
// when an injected syscall fails in a way that leaves the table unusable.
FdReopenResult reopen_fds(Task& t, const std::vector<SavedFd>& fds,
                          const std::map<int, int>& std_stream_of,
                          const std::map<std::string, std::string>* substitutes = nullptr);

}  // namespace ckrr
