#pragma once
// Puts back, in a process restored for a live restart, the kernel state its checkpoint saved
// for that purpose (checkpoint/LiveKernelState.h), by syscalls injected into it:
//  - deleted files (and memfds): each re-created as an unlinked file (O_TMPFILE in its old
//    directory, or /tmp when that is gone; memfd_create for a memfd) holding the saved
//    contents, opened at each saved fd with its flags and offset (fds open on the same deleted
//    file share one re-created file);
//  - POSIX timers: re-created with their recorded ids (prctl PR_TIMER_CREATE_RESTORE_IDS,
//    Linux 6.15+; otherwise in id order, a timer whose id comes out different is named in a
//    warning), clock, notification (a thread target translated to its real tid) and value,
//    armed with the time that was left and their period;
//  - resource limits (prlimit64 from outside);
//  - timerfds, eventfds and epoll instances (their interest lists, after the fds they watch);
//  - blocked pending signals, queued again with their siginfo (rt_sigqueueinfo for the process,
//    rt_tgsigqueueinfo for the capturing thread, which is t).
// Runs after the fd table is rebuilt (FdReopener skips the deleted files' fds).
#include <filesystem>
#include <string>
#include <vector>

#include "checkpoint/CheckpointManifest.h"
#include "checkpoint/LiveKernelState.h"
#include "core/Task.h"
#include "recorder/VirtualIds.h"

namespace ckrr {

// trace_dir resolves the FileStore names. Returns warnings (one line each). Throws Error when
// an injected call leaves the process unusable.
std::vector<std::string> restore_live_kernel_state(Task& t, const LiveKernelState& st,
                                                   const std::vector<SavedFd>& fds,
                                                   const VirtualIds& ids,
                                                   const std::filesystem::path& trace_dir);

}  // namespace ckrr
