#include "checkpoint/LiveKernelState.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/Error.h"
#include "core/RemoteSyscall.h"
#include "core/ScratchPage.h"
#include "core/SignalsHeld.h"
#include "storage/FileStore.h"

namespace ckrr {

namespace {

std::string hex_of(const void* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    s += d[b[i] >> 4];
    s += d[b[i] & 15];
  }
  return s;
}

bool from_hex(const std::string& s, void* p, size_t n) {
  if (s.size() != 2 * n) return false;
  auto* b = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < n; ++i)
    b[i] = static_cast<uint8_t>(std::stoul(s.substr(2 * i, 2), nullptr, 16));
  return true;
}

std::vector<siginfo_t> peek_pending(pid_t tid, uint32_t flags) {
  std::vector<siginfo_t> out;
  for (uint64_t off = 0;; ++off) {
    struct __ptrace_peeksiginfo_args a {};
    a.off = off;
    a.flags = flags;
    a.nr = 1;
    siginfo_t si;
    long n = ptrace(PTRACE_PEEKSIGINFO, tid, &a, &si);
    if (n != 1) break;
    out.push_back(si);
  }
  return out;
}

// /proc/PID/timers: "ID: n", "signal: signo/value(hex)", "notify: signal/pid.N" or
// "thread/tid.N" or "none/pid.N", "ClockID: c".
std::vector<LiveKernelState::Timer> read_timers(pid_t pid) {
  std::vector<LiveKernelState::Timer> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/timers");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("ID: ", 0) == 0) {
      out.emplace_back();
      out.back().id = std::stoi(line.substr(4));
    } else if (out.empty()) {
      continue;
    } else if (line.rfind("signal: ", 0) == 0) {
      size_t slash = line.find('/');
      out.back().signo = std::stoi(line.substr(8, slash - 8));
      out.back().value = std::stoull(line.substr(slash + 1), nullptr, 16);
    } else if (line.rfind("notify: ", 0) == 0) {
      std::string how = line.substr(8, line.find('/') - 8);
      int n = how == "none" ? SIGEV_NONE : how == "thread" ? SIGEV_THREAD : SIGEV_SIGNAL;
      size_t dot = line.rfind('.');
      if (line.find("/tid.") != std::string::npos) {
        n |= SIGEV_THREAD_ID;
        out.back().notify_tid = std::stoi(line.substr(dot + 1));
      }
      out.back().notify = n;
    } else if (line.rfind("ClockID: ", 0) == 0) {
      out.back().clock = std::stoi(line.substr(9));
    }
  }
  return out;
}

int64_t ns_of(const std::string& pair) {  // "(sec, nsec)"
  long long sec = 0, nsec = 0;
  sscanf(pair.c_str(), " (%lld, %lld)", &sec, &nsec);
  return sec * 1000000000ll + nsec;
}

// The anonymous fd at /proc/PID/fd/N whose link is `target`, if it is one we can make again.
bool read_anon(pid_t pid, int fd, const std::string& target, LiveKernelState::AnonFd& a) {
  using Kind = LiveKernelState::AnonFd::Kind;
  if (target == "anon_inode:[timerfd]")
    a.kind = Kind::Timerfd;
  else if (target == "anon_inode:[eventfd]")
    a.kind = Kind::Eventfd;
  else if (target == "anon_inode:[eventpoll]")
    a.kind = Kind::Epoll;
  else
    return false;
  a.fd = fd;
  std::ifstream in("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd));
  std::string line;
  while (std::getline(in, line)) {
    auto value = [&](const char* key) -> const char* {
      size_t n = strlen(key);
      return line.compare(0, n, key) == 0 ? line.c_str() + n : nullptr;
    };
    if (const char* v = value("clockid:"))
      a.clock = atoi(v);
    else if (const char* v = value("ticks:"))
      a.ticks = strtoull(v, nullptr, 10);
    else if (const char* v = value("it_value:"))
      a.left_ns = ns_of(v);
    else if (const char* v = value("it_interval:"))
      a.interval_ns = ns_of(v);
    else if (const char* v = value("eventfd-count:"))
      a.count = strtoull(v, nullptr, 16);
    else if (const char* v = value("eventfd-semaphore:"))
      a.semaphore = atoi(v) != 0;
    else if (value("tfd:")) {
      LiveKernelState::AnonFd::Watch w;
      unsigned events = 0;
      unsigned long long data = 0;
      if (sscanf(line.c_str(), "tfd: %d events: %x data: %llx", &w.fd, &events, &data) == 3) {
        w.events = events;
        w.data = data;
        a.watches.push_back(w);
      }
    }
  }
  return true;
}

}  // namespace

bool LiveKernelState::owns_fd(int fd) const {
  if (deleted_at(fd)) return true;
  for (const AnonFd& a : anon)
    if (a.fd == fd) return true;
  return false;
}

const LiveKernelState::DeletedFile* LiveKernelState::deleted_at(int fd) const {
  for (const DeletedFile& d : deleted)
    if (d.fd == fd) return &d;
  return nullptr;
}

std::vector<uint8_t> LiveKernelState::serialize() const {
  std::ostringstream s;
  for (const Timer& t : timers)
    s << "timer " << t.id << ' ' << t.clock << ' ' << t.signo << ' ' << t.notify << ' '
      << t.notify_tid << ' ' << t.value << ' ' << t.left_ns << ' ' << t.interval_ns << '\n';
  for (const Limit& l : limits) s << "limit " << l.resource << ' ' << l.cur << ' ' << l.max << '\n';
  for (const siginfo_t& si : shared_pending) s << "shared " << hex_of(&si, sizeof si) << '\n';
  for (const siginfo_t& si : thread_pending) s << "thread " << hex_of(&si, sizeof si) << '\n';
  for (const AnonFd& a : anon) {
    s << "anon " << a.fd << ' ' << static_cast<int>(a.kind) << ' ' << a.clock << ' ' << a.ticks
      << ' ' << a.count << ' ' << a.semaphore << ' ' << a.left_ns << ' ' << a.interval_ns << ' '
      << a.watches.size();
    for (const AnonFd::Watch& w : a.watches) s << ' ' << w.fd << ' ' << w.events << ' ' << w.data;
    s << '\n';
  }
  for (const DeletedFile& d : deleted)
    s << "deleted " << d.fd << ' ' << d.inode << ' ' << d.stored << '\n';
  std::string str = s.str();
  return {str.begin(), str.end()};
}

bool LiveKernelState::deserialize(const std::vector<uint8_t>& in) {
  *this = LiveKernelState{};
  std::istringstream s(std::string(in.begin(), in.end()));
  std::string line;
  try {
    while (std::getline(s, line)) {
      std::istringstream l(line);
      std::string kind;
      l >> kind;
      if (kind == "timer") {
        Timer t;
        l >> t.id >> t.clock >> t.signo >> t.notify >> t.notify_tid >> t.value >> t.left_ns >>
            t.interval_ns;
        timers.push_back(t);
      } else if (kind == "limit") {
        Limit x;
        l >> x.resource >> x.cur >> x.max;
        limits.push_back(x);
      } else if (kind == "shared" || kind == "thread") {
        std::string hex;
        l >> hex;
        siginfo_t si;
        if (!from_hex(hex, &si, sizeof si)) return false;
        (kind == "shared" ? shared_pending : thread_pending).push_back(si);
      } else if (kind == "anon") {
        AnonFd a;
        int k = 0;
        size_t n = 0;
        l >> a.fd >> k >> a.clock >> a.ticks >> a.count >> a.semaphore >> a.left_ns >>
            a.interval_ns >> n;
        if (k < 1 || k > 3 || n > 100000) return false;
        a.kind = static_cast<AnonFd::Kind>(k);
        for (size_t i = 0; i < n && l; ++i) {
          AnonFd::Watch w;
          l >> w.fd >> w.events >> w.data;
          a.watches.push_back(w);
        }
        anon.push_back(a);
      } else if (kind == "deleted") {
        DeletedFile d;
        l >> d.fd >> d.inode;
        std::getline(l >> std::ws, d.stored);
        deleted.push_back(d);
      } else {
        return false;
      }
      if (l.fail()) return false;
    }
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

LiveKernelState capture_live_kernel_state(Task& t, FileStore* store) {
  LiveKernelState st;
  const pid_t pid = t.tgid();
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    struct rlimit64 lim;
    if (syscall(SYS_prlimit64, pid, r, nullptr, &lim) == 0)
      st.limits.push_back({r, lim.rlim_cur, lim.rlim_max});
  }
  st.shared_pending = peek_pending(t.tid(), PTRACE_PEEKSIGINFO_SHARED);
  st.thread_pending = peek_pending(t.tid(), 0);

  st.timers = read_timers(pid);
  if (!st.timers.empty()) {
    SignalsHeld held(t);  // a timer firing must not stop the injected calls
    remote_syscall_checked(
        t, "mprotect of the scratch page", SYS_mprotect,
        {kScratchPageAddr, kScratchPageSize, PROT_READ | PROT_WRITE | PROT_EXEC});
    for (LiveKernelState::Timer& tm : st.timers) {
      if (remote_syscall(t, SYS_timer_gettime, {uint64_t(tm.id), kScratchDataAddr}) != 0) continue;
      struct itimerspec its;
      t.read(kScratchDataAddr, &its, sizeof its);
      tm.left_ns = its.it_value.tv_sec * 1000000000ll + its.it_value.tv_nsec;
      tm.interval_ns = its.it_interval.tv_sec * 1000000000ll + its.it_interval.tv_nsec;
    }
    remote_syscall_checked(t, "mprotect of the scratch page", SYS_mprotect,
                           {kScratchPageAddr, kScratchPageSize, PROT_READ | PROT_EXEC});
  }

  {
    const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(fd_dir, ec)) {
      std::string target = std::filesystem::read_symlink(e.path(), ec).string();
      if (ec) continue;
      LiveKernelState::AnonFd a;
      if (read_anon(pid, std::stoi(e.path().filename().string()), target, a)) {
        st.anon.push_back(std::move(a));
        continue;
      }
      if (!store) continue;
      static const std::string kDeleted = " (deleted)";
      if (ec || target.size() <= kDeleted.size() || target[0] != '/' ||
          target.compare(target.size() - kDeleted.size(), kDeleted.size(), kDeleted) != 0)
        continue;
      struct stat sb;
      if (stat(e.path().c_str(), &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
      int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      LiveKernelState::DeletedFile d;
      d.fd = std::stoi(e.path().filename().string());
      d.inode = sb.st_ino;
      try {
        d.stored = store->save_fd(fd, "deleted");
      } catch (...) {
        ::close(fd);
        throw;
      }
      ::close(fd);
      st.deleted.push_back(d);
    }
  }
  return st;
}

}  // namespace ckrr
