#include "recorder/LiveStateRestorer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "core/Error.h"
#include "core/RemoteSyscall.h"
#include "core/ScratchPage.h"
#include "core/SignalsHeld.h"

namespace ckrr {

namespace {

constexpr uint64_t EFD_SEMAPHORE_FLAG = 1;  // EFD_SEMAPHORE

// Linux 6.15: while on, timer_create takes the id to give the new timer from *created_timer_id.
constexpr int kPrTimerCreateRestoreIds = 77;

bool is_error(long r) {
  return r < 0 && r > -4096;
}

std::string errtext(long r) {
  return strerror(static_cast<int>(-r));
}

// Copies the stored contents into the file open at the process's fd `fd`, from outside.
void fill(pid_t pid, int fd, const std::filesystem::path& from) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw Error(errno_text("open " + from.string(), errno));
  std::string to = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  int out = ::open(to.c_str(), O_WRONLY | O_CLOEXEC);
  if (out < 0) {
    int e = errno;
    ::close(in);
    throw Error(errno_text("open " + to, e));
  }
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(in, buf, sizeof buf)) > 0)
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf + done, n - done);
      if (w <= 0) {
        ::close(in);
        ::close(out);
        throw Error(errno_text("write " + to, errno));
      }
      done += w;
    }
  ::close(in);
  ::close(out);
}

class Restorer {
 public:
  Restorer(Task& t, const LiveKernelState& st, const std::vector<SavedFd>& fds,
           const VirtualIds& ids, const std::filesystem::path& trace_dir)
      : t_(t), st_(st), fds_(fds), ids_(ids), dir_(trace_dir) {}

  std::vector<std::string> run() {
    SignalsHeld held(t_);  // the re-created timers fire while calls are still injected
    remote_syscall_checked(
        t_, "mprotect of the scratch page", SYS_mprotect,
        {kScratchPageAddr, kScratchPageSize, PROT_READ | PROT_WRITE | PROT_EXEC});
    deleted_files();
    anon_fds();
    timers();
    limits();
    signals();
    remote_syscall_checked(t_, "mprotect of the scratch page", SYS_mprotect,
                           {kScratchPageAddr, kScratchPageSize, PROT_READ | PROT_EXEC});
    return std::move(warnings_);
  }

 private:
  void deleted_files() {
    std::map<uint64_t, int> made;  // inode -> the re-created file's fd in the process
    for (const SavedFd& f : fds_) {
      const LiveKernelState::DeletedFile* d = st_.deleted_at(f.fd);
      if (!d) continue;
      auto it = made.find(d->inode);
      if (it == made.end()) it = made.emplace(d->inode, create(f, *d)).first;
      // Its own open file description, with its flags and offset.
      std::string self = "/proc/self/fd/" + std::to_string(it->second);
      const int flags = f.flags & ~(O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC);
      long fd = remote_syscall(t_, SYS_openat,
                               {uint64_t(AT_FDCWD), stage_string(t_, self), uint64_t(flags), 0});
      if (is_error(fd))
        throw Error("restart: cannot reopen the re-created deleted file for fd " +
                    std::to_string(f.fd) + ": " + errtext(fd));
      remote_syscall(t_, SYS_lseek, {uint64_t(fd), f.pos, SEEK_SET});
      const uint64_t cloexec = (f.flags & O_CLOEXEC) ? O_CLOEXEC : 0;
      if (fd == f.fd) {  // the saved number was free: it is already there
        remote_syscall(t_, SYS_fcntl, {uint64_t(fd), F_SETFD, cloexec ? FD_CLOEXEC : 0u});
        continue;
      }
      long r = remote_syscall(t_, SYS_dup3, {uint64_t(fd), uint64_t(f.fd), cloexec});
      remote_syscall(t_, SYS_close, {uint64_t(fd)});
      if (is_error(r))
        throw Error("restart: dup3 to fd " + std::to_string(f.fd) + ": " + errtext(r));
    }
    for (const auto& [ino, fd] : made) remote_syscall(t_, SYS_close, {uint64_t(fd)});
  }

  // An unlinked file holding d's saved contents, open read-write in the process (above every
  // saved fd, so that it collides with none of them).
  int create(const SavedFd& f, const LiveKernelState::DeletedFile& d) {
    static const std::string kDeleted = " (deleted)";
    std::string path = f.path.substr(0, f.path.size() - kDeleted.size());
    long fd;
    if (path.rfind("/memfd:", 0) == 0) {
      fd = remote_syscall(t_, SYS_memfd_create, {stage_string(t_, path.substr(7)), MFD_CLOEXEC});
    } else {
      std::string dir = std::filesystem::path(path).parent_path().string();
      fd = remote_syscall(
          t_, SYS_openat,
          {uint64_t(AT_FDCWD), stage_string(t_, dir), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600});
      if (is_error(fd)) {
        warnings_.push_back("fd " + std::to_string(f.fd) + " (" + f.path + "): " + dir +
                            " cannot hold it again (" + errtext(fd) + "); re-created in /tmp");
        fd = remote_syscall(
            t_, SYS_openat,
            {uint64_t(AT_FDCWD), stage_string(t_, "/tmp"), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600});
      }
    }
    if (is_error(fd))
      throw Error("restart: cannot re-create the deleted file of fd " + std::to_string(f.fd) +
                  ": " + errtext(fd));
    int top = 0;
    for (const SavedFd& s : fds_) top = std::max(top, s.fd);
    long high = remote_syscall(t_, SYS_fcntl, {uint64_t(fd), F_DUPFD_CLOEXEC, uint64_t(top + 1)});
    remote_syscall(t_, SYS_close, {uint64_t(fd)});
    if (is_error(high)) throw Error("restart: fcntl F_DUPFD: " + errtext(high));
    fill(t_.tgid(), static_cast<int>(high), dir_ / d.stored);
    return static_cast<int>(high);
  }

  const SavedFd* saved(int fd) const {
    for (const SavedFd& f : fds_)
      if (f.fd == fd) return &f;
    return nullptr;
  }

  // Moves the process's fd `from` to `to` with the saved close-on-exec flag.
  void move_to(long from, int to, const std::string& what) {
    if (is_error(from)) throw Error("restart: cannot re-create " + what + ": " + errtext(from));
    const SavedFd* f = saved(to);
    const bool cloexec = f && (f->flags & O_CLOEXEC);
    if (from == to) {
      remote_syscall(t_, SYS_fcntl, {uint64_t(to), F_SETFD, cloexec ? FD_CLOEXEC : 0u});
      return;
    }
    long r = remote_syscall(t_, SYS_dup3, {uint64_t(from), uint64_t(to), cloexec ? O_CLOEXEC : 0u});
    remote_syscall(t_, SYS_close, {uint64_t(from)});
    if (is_error(r)) throw Error("restart: dup3 to fd " + std::to_string(to) + ": " + errtext(r));
  }

  // timerfds and eventfds first, then the epoll instances that may watch them.
  void anon_fds() {
    using Kind = LiveKernelState::AnonFd::Kind;
    for (const LiveKernelState::AnonFd& a : st_.anon) {
      const SavedFd* f = saved(a.fd);
      const uint64_t nonblock = f ? (f->flags & O_NONBLOCK) : 0;
      const std::string what = "fd " + std::to_string(a.fd);
      if (a.kind == Kind::Timerfd) {
        long fd = remote_syscall(t_, SYS_timerfd_create, {uint64_t(a.clock), nonblock});
        move_to(fd, a.fd, what + " (timerfd)");
        // Expirations not read yet: the first comes at once (their count is not kept).
        const int64_t left = a.ticks ? 1 : a.left_ns;
        if (left == 0) continue;
        struct itimerspec its {};
        its.it_value = {static_cast<time_t>(left / 1000000000),
                        static_cast<long>(left % 1000000000)};
        its.it_interval = {static_cast<time_t>(a.interval_ns / 1000000000),
                           static_cast<long>(a.interval_ns % 1000000000)};
        t_.write(kScratchDataAddr, &its, sizeof its);
        long r = remote_syscall(t_, SYS_timerfd_settime, {uint64_t(a.fd), 0, kScratchDataAddr, 0});
        if (is_error(r)) warnings_.push_back(what + " (timerfd) cannot be armed: " + errtext(r));
      } else if (a.kind == Kind::Eventfd) {
        const uint64_t flags = nonblock | (a.semaphore ? EFD_SEMAPHORE_FLAG : 0);
        long fd =
            remote_syscall(t_, SYS_eventfd2, {uint64_t(static_cast<uint32_t>(a.count)), flags});
        move_to(fd, a.fd, what + " (eventfd)");
      }
    }
    for (const LiveKernelState::AnonFd& a : st_.anon) {
      if (a.kind != Kind::Epoll) continue;
      long fd = remote_syscall(t_, SYS_epoll_create1, {0});
      move_to(fd, a.fd, "fd " + std::to_string(a.fd) + " (epoll)");
      for (const auto& w : a.watches) {
        uint8_t ev[12];  // struct epoll_event is packed on x86-64
        memcpy(ev, &w.events, 4);
        memcpy(ev + 4, &w.data, 8);
        t_.write(kScratchDataAddr, ev, sizeof ev);
        long r = remote_syscall(
            t_, SYS_epoll_ctl,
            {uint64_t(a.fd), 1 /* EPOLL_CTL_ADD */, uint64_t(w.fd), kScratchDataAddr});
        if (is_error(r))
          warnings_.push_back("epoll fd " + std::to_string(a.fd) + ": cannot watch fd " +
                              std::to_string(w.fd) + " again: " + errtext(r));
      }
    }
  }

  void timers() {
    if (st_.timers.empty()) return;
    const bool by_id = remote_syscall(t_, SYS_prctl, {kPrTimerCreateRestoreIds, 1, 0, 0, 0}) == 0;
    for (const LiveKernelState::Timer& tm : st_.timers) {
      uint8_t sev[64] = {};
      memcpy(sev, &tm.value, 8);
      memcpy(sev + 8, &tm.signo, 4);
      memcpy(sev + 12, &tm.notify, 4);
      int32_t tid = tm.notify_tid ? ids_.tid_to_real(tm.notify_tid) : 0;
      if (tid == tm.notify_tid && tm.notify_tid == ids_.virtual_pid) tid = ids_.real_pid;
      memcpy(sev + 16, &tid, 4);
      t_.write(kScratchDataAddr, sev, sizeof sev);
      const uint64_t id_addr = kScratchDataAddr + sizeof sev;
      t_.write(id_addr, &tm.id, sizeof tm.id);
      long r =
          remote_syscall(t_, SYS_timer_create, {uint64_t(tm.clock), kScratchDataAddr, id_addr});
      if (is_error(r)) {
        warnings_.push_back("POSIX timer " + std::to_string(tm.id) +
                            " cannot be re-created: " + errtext(r));
        continue;
      }
      int32_t got = t_.read_val<int32_t>(id_addr);
      if (got != tm.id)
        warnings_.push_back("POSIX timer " + std::to_string(tm.id) + " came back as id " +
                            std::to_string(got) + " (this kernel cannot restore timer ids)");
      if (tm.left_ns == 0) continue;
      struct itimerspec its {};
      its.it_value = {static_cast<time_t>(tm.left_ns / 1000000000),
                      static_cast<long>(tm.left_ns % 1000000000)};
      its.it_interval = {static_cast<time_t>(tm.interval_ns / 1000000000),
                         static_cast<long>(tm.interval_ns % 1000000000)};
      t_.write(kScratchDataAddr, &its, sizeof its);
      r = remote_syscall(t_, SYS_timer_settime, {uint64_t(got), 0, kScratchDataAddr, 0});
      if (is_error(r))
        warnings_.push_back("POSIX timer " + std::to_string(tm.id) +
                            " cannot be armed: " + errtext(r));
    }
    if (by_id) remote_syscall(t_, SYS_prctl, {kPrTimerCreateRestoreIds, 0, 0, 0, 0});
  }

  void limits() {
    for (const LiveKernelState::Limit& l : st_.limits) {
      struct rlimit64 lim {
        l.cur, l.max
      };
      if (syscall(SYS_prlimit64, t_.tgid(), l.resource, &lim, nullptr) != 0)
        warnings_.push_back("resource limit " + std::to_string(l.resource) + " (" +
                            std::to_string(l.cur) + "/" + std::to_string(l.max) +
                            ") cannot be set again: " + strerror(errno));
    }
  }

  // Queued from inside the process, to itself: the kernel then accepts any si_code (kill's
  // SI_USER included), and the siginfo is the one the program would have read.
  void signals() {
    auto queue = [&](const siginfo_t& si, bool thread) {
      t_.write(kScratchDataAddr, &si, sizeof si);
      long r = thread
                   ? remote_syscall(t_, SYS_rt_tgsigqueueinfo,
                                    {uint64_t(t_.tgid()), uint64_t(t_.tid()), uint64_t(si.si_signo),
                                     kScratchDataAddr})
                   : remote_syscall(t_, SYS_rt_sigqueueinfo,
                                    {uint64_t(t_.tgid()), uint64_t(si.si_signo), kScratchDataAddr});
      if (is_error(r))
        warnings_.push_back("pending signal " + std::to_string(si.si_signo) +
                            " cannot be queued again: " + errtext(r));
    };
    for (const siginfo_t& si : st_.shared_pending) queue(si, false);
    for (const siginfo_t& si : st_.thread_pending) queue(si, true);
  }

  Task& t_;
  const LiveKernelState& st_;
  const std::vector<SavedFd>& fds_;
  const VirtualIds& ids_;
  std::filesystem::path dir_;
  std::vector<std::string> warnings_;
};

}  // namespace

std::vector<std::string> restore_live_kernel_state(Task& t, const LiveKernelState& st,
                                                   const std::vector<SavedFd>& fds,
                                                   const VirtualIds& ids,
                                                   const std::filesystem::path& trace_dir) {
  return Restorer(t, st, fds, ids, trace_dir).run();
}

}  // namespace ckrr
