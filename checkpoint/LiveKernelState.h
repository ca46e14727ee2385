#pragma once
// Kernel state of a process that replay never needs (it emulates every call) but a live
// restart (`ckrr restart`) must put back, saved with each checkpoint as the blob
// "live-kernel-state" of the capturing process:
//  - its POSIX timers (/proc/PID/timers for id, clock, signal, notification; an injected
//    timer_gettime for the time left and the period); overrun counts are not kept;
//  - its resource limits (prlimit64 on it from outside);
//  - the signals pending while blocked, for the process and for the capturing thread, with
//    their siginfo (PTRACE_PEEKSIGINFO): a checkpoint is taken while blocked signals wait;
//  - the contents of regular files it holds open after they were deleted (and memfds), saved
//    in the trace's content-addressed FileStore: nothing else holds them once it is gone;
//  - its timerfds, eventfds and epoll instances (AnonFd).
// The restart side is recorder/LiveStateRestorer.
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/Task.h"

namespace ckrr {

class FileStore;

inline constexpr const char* kLiveKernelStateBlob = "live-kernel-state";

struct LiveKernelState {
  struct Timer {
    int32_t id = 0;
    int32_t clock = 0;
    int32_t signo = 0;
    int32_t notify = 0;      // SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID | SIGEV_SIGNAL...
    int32_t notify_tid = 0;  // for SIGEV_THREAD_ID: the recorded tid
    uint64_t value = 0;      // sigev_value
    int64_t left_ns = 0;     // 0: disarmed
    int64_t interval_ns = 0;
  };
  struct Limit {
    int32_t resource = 0;
    uint64_t cur = 0, max = 0;
  };
  struct DeletedFile {
    int32_t fd = 0;
    uint64_t inode = 0;  // fds open on the same file share one re-created file
    std::string stored;  // FileStore name of its contents
  };
  // An fd on an anonymous inode the kernel can make again: a timerfd (its clock, time left,
  // period; expirations not yet read make it fire at once), an eventfd (its count), an epoll
  // instance (its interest list: target fd, events, data), from /proc/PID/fdinfo.
  struct AnonFd {
    enum class Kind : int32_t { Timerfd = 1, Eventfd = 2, Epoll = 3 };
    int32_t fd = 0;
    Kind kind = Kind::Timerfd;
    int32_t clock = 0;
    uint64_t ticks = 0, count = 0;
    bool semaphore = false;
    int64_t left_ns = 0, interval_ns = 0;
    struct Watch {
      int32_t fd = 0;
      uint32_t events = 0;
      uint64_t data = 0;
    };
    std::vector<Watch> watches;
  };
  std::vector<Timer> timers;
  std::vector<AnonFd> anon;
  std::vector<Limit> limits;
  std::vector<siginfo_t> shared_pending;  // for the process
  std::vector<siginfo_t> thread_pending;  // for the capturing thread
  std::vector<DeletedFile> deleted;

  std::vector<uint8_t> serialize() const;
  bool deserialize(const std::vector<uint8_t>& in);
  const DeletedFile* deleted_at(int fd) const;
  // Whether fd is re-created from this state (a deleted file or an anonymous one), not by path.
  bool owns_fd(int fd) const;
};

// Reads it from t, stopped at a boundary with ckrr's scratch page mapped (the page is made
// writable for the injected timer_gettime and given back read-only). Deleted files' contents go
// to `store` (none saved when null). Throws Error.
LiveKernelState capture_live_kernel_state(Task& t, FileStore* store);

}  // namespace ckrr
