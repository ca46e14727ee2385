#include "recorder/WriteOrder.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "plugins/WriteCalls.h"

namespace ckrr {

namespace {

uint64_t monotonic_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

bool stat_fd(pid_t tid, int fd, struct stat* st) {
  // stat follows the /proc link to the object itself (a pipe's or socket's inode too).
  const std::string link = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  return stat(link.c_str(), st) == 0;
}

// The app's fd, duplicated into ckrr (the same open file: no reader or writer is added to a
// pipe, unlike an open of /proc/PID/fd/N). -1 when it cannot be had.
int borrow_fd(const Task& t, int fd) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, t.tgid(), 0));
  if (pidfd < 0) return -1;
  int mine = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  close(pidfd);
  return mine;
}

uint64_t bytes_of(Task& t, long nr, const uint64_t* a) {
  if (nr != SYS_writev && nr != SYS_pwritev && nr != SYS_pwritev2) return a[2];
  uint64_t total = 0;
  for (uint64_t i = 0; i < std::min<uint64_t>(a[2], 1024); ++i) {
    iovec v{};
    if (!t.try_read(a[1] + i * sizeof v, &v, sizeof v)) break;
    total += v.iov_len;
  }
  return total;
}

bool dont_wait_flag(long nr, const uint64_t* a) {
  switch (nr) {
    case SYS_sendto:
    case SYS_sendmmsg:
      return a[3] & MSG_DONTWAIT;
    case SYS_sendmsg:
      return a[2] & MSG_DONTWAIT;
  }
  return false;
}

// Whether a write of `bytes` to pipe `fd` (or a socket) of t may have to wait for a reader.
bool may_wait(Task& t, int fd, bool pipe, uint64_t bytes) {
  int mine = borrow_fd(t, fd);
  if (mine < 0) return true;
  bool wait = true;
  const int flags = fcntl(mine, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK)) {
    wait = false;  // it fails with EAGAIN instead
  } else if (pipe && flags >= 0 && !(flags & O_DIRECT)) {
    // Pipe buffers are pages; the write fills the last one, then takes new ones. Counted
    // generously: the first and last pages in use may be partly empty.
    const int capacity = fcntl(mine, F_GETPIPE_SZ);
    int used = 0;
    if (capacity > 0 && ioctl(mine, FIONREAD, &used) == 0) {
      const uint64_t page = 4096;
      const uint64_t taken = (static_cast<uint64_t>(used) + page - 1) / page + 1;
      const uint64_t needed = (bytes + page - 1) / page;
      wait = taken + needed > static_cast<uint64_t>(capacity) / page;
    }
  }
  close(mine);
  return wait;
}

}  // namespace

WriteOrder::Start WriteOrder::at_entry(Task& t, long nr, const uint64_t* args) {
  std::optional<int> fd = written_fd(nr, args);
  struct stat st {};
  if (!fd || !stat_fd(t.tid(), *fd, &st)) return Start::Alone;  // not open: fails at once
  const Object o{st.st_dev, st.st_ino};
  for (const auto& [holder, obj] : holders_)
    if (holder != t.tid() && obj == o) {
      parked_.push_back({t.tid(), o, monotonic_now_ns()});
      ++waits_;
      return Start::Wait;
    }
  const bool pipe = S_ISFIFO(st.st_mode);
  if ((pipe || S_ISSOCK(st.st_mode)) && !dont_wait_flag(nr, args) &&
      may_wait(t, *fd, pipe, bytes_of(t, nr, args))) {
    holders_[t.tid()] = o;
    ++entered_;
    return Start::Enter;
  }
  return Start::Alone;
}

void WriteOrder::hold(pid_t tid, long nr, const uint64_t* args) {
  std::optional<int> fd = written_fd(nr, args);
  struct stat st {};
  if (fd && stat_fd(tid, *fd, &st)) holders_[tid] = Object{st.st_dev, st.st_ino};
}

std::vector<pid_t> WriteOrder::release_finished(const std::function<bool(pid_t)>& done) {
  std::vector<pid_t> out;
  if (holders_.empty() && parked_.empty()) return out;
  std::erase_if(holders_, [&](const auto& kv) { return done(kv.first); });
  // A parked thread goes on once no holder has its object; the first of them to run may make
  // it busy again, and the others then park again at their entry.
  auto free = [&](const Object& o) {
    return std::none_of(holders_.begin(), holders_.end(),
                        [&](const auto& kv) { return kv.second == o; });
  };
  std::erase_if(parked_, [&](const Parked& p) {
    if (!free(p.object)) return false;
    out.push_back(p.tid);
    return true;
  });
  return out;
}

std::vector<pid_t> WriteOrder::stale_holders(uint64_t ns) const {
  std::vector<pid_t> out;
  const uint64_t now = monotonic_now_ns();
  for (const auto& [holder, obj] : holders_)
    for (const Parked& p : parked_)
      if (p.object == obj && now - p.since_ns > ns) {
        out.push_back(holder);
        break;
      }
  return out;
}

}  // namespace ckrr
