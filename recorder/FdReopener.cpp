#include "recorder/FdReopener.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/Error.h"
#include "core/RemoteSyscall.h"

namespace ckrr {

namespace {

// A substitute naming one of ckrr's own fds, to be taken with pidfd_getfd.
constexpr const char* kFromCkrr = "ckrr-fd:";

constexpr int kNotReopenedFlags = O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC;

bool is_error(long r) {
  return r < 0 && r > -4096;
}

std::string errtext(long r) {
  return strerror(static_cast<int>(-r));
}

// Why the saved fd cannot be opened again by its path, or "" if it can be tried.
std::string unreopenable_reason(const SavedFd& f) {
  if (f.path.empty() || f.path[0] != '/') return "not a file path";
  static const std::string kDeleted = " (deleted)";
  if (f.path.size() > kDeleted.size() &&
      f.path.compare(f.path.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0)
    return "the file was deleted";
  struct stat st;
  // Checked here, not in the process: opening a FIFO for writing with no reader would block
  // the injected syscall, and the supervisor with it.
  if (stat(f.path.c_str(), &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
    return S_ISFIFO(st.st_mode) ? "a named pipe" : "a socket";
  return "";
}

class Reopener {
 public:
  Reopener(Task& t, const std::vector<SavedFd>& fds, const std::map<int, int>& std_stream_of,
           const std::map<std::string, std::string>* substitutes)
      : t_(t), fds_(fds), std_of_(std_stream_of), subs_(substitutes) {}

  FdReopenResult run() {
    int top = 2;
    for (const SavedFd& f : fds_) top = std::max(top, f.fd);
    top_ = top;
    // Park ckrr restart's stdio above every saved number, then empty 0-2: the table then holds
    // nothing a saved fd could collide with.
    for (int s = 0; s < 3; ++s) {
      long r = remote_syscall(t_, SYS_fcntl, {uint64_t(s), F_DUPFD_CLOEXEC, uint64_t(top + 1)});
      held_[s] = is_error(r) ? -1 : static_cast<int>(r);
      remote_syscall(t_, SYS_close, {uint64_t(s)});
    }
    for (const SavedFd& f : fds_) place(f);
    for (int s = 0; s < 3; ++s)
      if (held_[s] >= 0) remote_syscall(t_, SYS_close, {uint64_t(held_[s])});
    if (ckrr_pidfd_ >= 0) remote_syscall(t_, SYS_close, {uint64_t(ckrr_pidfd_)});
    return std::move(out_);
  }

 private:
  std::string name(const SavedFd& f) { return "fd " + std::to_string(f.fd) + " (" + f.path + ")"; }

  // Moves `from` to f.fd with f's close-on-exec flag and closes `from`.
  void move_to(int from, const SavedFd& f) {
    const uint64_t cloexec = (f.flags & O_CLOEXEC) ? O_CLOEXEC : 0;
    if (from == f.fd) {
      remote_syscall(t_, SYS_fcntl, {uint64_t(from), F_SETFD, cloexec ? FD_CLOEXEC : 0u});
      return;
    }
    long r = remote_syscall(t_, SYS_dup3, {uint64_t(from), uint64_t(f.fd), cloexec});
    remote_syscall(t_, SYS_close, {uint64_t(from)});
    if (is_error(r)) throw Error("restart: dup3 to " + name(f) + " failed: " + errtext(r));
  }

  void place(const SavedFd& f) {
    auto s = std_of_.find(f.fd);
    if (s != std_of_.end() && s->second >= 0 && s->second < 3 && held_[s->second] >= 0) {
      const uint64_t cloexec = (f.flags & O_CLOEXEC) ? O_CLOEXEC : 0;
      long r = remote_syscall(t_, SYS_dup3, {uint64_t(held_[s->second]), uint64_t(f.fd), cloexec});
      if (is_error(r)) throw Error("restart: dup3 to " + name(f) + " failed: " + errtext(r));
      return;
    }
    if (subs_) {
      if (auto it = subs_->find(f.path); it != subs_->end()) {
        if (it->second.rfind(kFromCkrr, 0) == 0) {
          take_from_ckrr(f, std::stoi(it->second.substr(strlen(kFromCkrr))));
          return;
        }
        SavedFd other = f;
        other.path = it->second;
        std::string why;
        if (!open_path(other, &why)) to_dev_null(f, why);
        return;
      }
    }
    std::string why = unreopenable_reason(f);
    if (why.empty() && open_path(f, &why)) return;
    to_dev_null(f, why);
  }

  // An object ckrr made for the process (a socket, which no path opens): taken from ckrr's fd
  // table with pidfd_getfd, given the saved O_NONBLOCK.
  void take_from_ckrr(const SavedFd& f, int ckrr_fd) {
    if (ckrr_pidfd_ < 0) {
      long r = remote_syscall(t_, SYS_pidfd_open, {uint64_t(getpid()), 0});
      if (is_error(r)) return to_dev_null(f, "pidfd_open of ckrr failed: " + errtext(r));
      // Above every saved number, like the parked stdio: no saved fd may land on it.
      long high = remote_syscall(t_, SYS_fcntl, {uint64_t(r), F_DUPFD_CLOEXEC, uint64_t(top_ + 4)});
      remote_syscall(t_, SYS_close, {uint64_t(r)});
      if (is_error(high)) return to_dev_null(f, "cannot keep a pidfd of ckrr: " + errtext(high));
      ckrr_pidfd_ = static_cast<int>(high);
    }
    long fd = remote_syscall(t_, SYS_pidfd_getfd, {uint64_t(ckrr_pidfd_), uint64_t(ckrr_fd), 0});
    if (is_error(fd)) return to_dev_null(f, "pidfd_getfd from ckrr failed: " + errtext(fd));
    if (f.flags & O_NONBLOCK) remote_syscall(t_, SYS_fcntl, {uint64_t(fd), F_SETFL, O_NONBLOCK});
    move_to(static_cast<int>(fd), f);
  }

  bool open_path(const SavedFd& f, std::string* why) {
    const int flags = f.flags & ~kNotReopenedFlags;
    long fd = remote_syscall(t_, SYS_openat,
                             {uint64_t(AT_FDCWD), stage_string(t_, f.path), uint64_t(flags), 0});
    if (is_error(fd)) {
      *why = "open failed: " + errtext(fd);
      return false;
    }
    const int acc = f.flags & O_ACCMODE;
    if ((f.flags & O_APPEND) && (acc == O_WRONLY || acc == O_RDWR)) {
      long size = remote_syscall(t_, SYS_lseek, {uint64_t(fd), 0, SEEK_END});
      if (!is_error(size) && static_cast<uint64_t>(size) > f.pos) {
        long r = remote_syscall(t_, SYS_ftruncate, {uint64_t(fd), f.pos});
        if (is_error(r))
          out_.warnings.push_back(name(f) + ": cannot truncate it back to " +
                                  std::to_string(f.pos) + " bytes: " + errtext(r));
        else
          out_.notes.push_back(name(f) + ": appended to after the checkpoint; truncated from " +
                               std::to_string(size) + " back to " + std::to_string(f.pos) +
                               " bytes");
      }
    }
    // Ttys and the like cannot seek (ESPIPE): nothing to restore there.
    remote_syscall(t_, SYS_lseek, {uint64_t(fd), f.pos, SEEK_SET});
    move_to(static_cast<int>(fd), f);
    return true;
  }

  void to_dev_null(const SavedFd& f, const std::string& why) {
    long fd = remote_syscall(t_, SYS_openat,
                             {uint64_t(AT_FDCWD), stage_string(t_, "/dev/null"), O_RDWR, 0});
    if (is_error(fd)) throw Error("restart: cannot open /dev/null in the process: " + errtext(fd));
    move_to(static_cast<int>(fd), f);
    out_.warnings.push_back(name(f) + " cannot be reopened (" + why + "); it is /dev/null now");
  }

  Task& t_;
  const std::vector<SavedFd>& fds_;
  const std::map<int, int>& std_of_;
  const std::map<std::string, std::string>* subs_;
  int held_[3] = {-1, -1, -1};
  int ckrr_pidfd_ = -1;
  int top_ = 2;
  FdReopenResult out_;
};

}  // namespace

FdReopenResult reopen_fds(Task& t, const std::vector<SavedFd>& fds,
                          const std::map<int, int>& std_stream_of,
                          const std::map<std::string, std::string>* substitutes) {
  return Reopener(t, fds, std_stream_of, substitutes).run();
}

}  // namespace ckrr
