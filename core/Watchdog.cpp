#include "core/Watchdog.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/SyscallNames.h"

namespace ckrr {

namespace {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

const char* state_name(char s) {
  switch (s) {
    case 'R':
      return "running";
    case 'S':
      return "sleeping";
    case 'D':
      return "uninterruptible sleep";
    case 't':
      return "stopped under ptrace (held by ckrr, or a job-control stop)";
    case 'T':
      return "stopped (job control)";
    case 'Z':
      return "zombie";
    case 'X':
      return "dead";
    case '?':
      return "gone";
  }
  return "?";
}

}  // namespace

std::vector<pid_t> traced_threads() {
  std::vector<pid_t> out;
  const std::string me = std::to_string(getpid());
  std::error_code ec;
  for (const auto& p : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = p.path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code ec2;
    for (const auto& t : std::filesystem::directory_iterator(p.path() / "task", ec2)) {
      std::ifstream in(t.path() / "status");
      std::string line;
      while (std::getline(in, line))
        if (line.rfind("TracerPid:", 0) == 0) {
          size_t v = line.find_first_not_of(" \t", 10);
          if (v != std::string::npos && line.substr(v) == me)
            out.push_back(static_cast<pid_t>(std::stol(t.path().filename().string())));
          break;
        }
    }
  }
  return out;
}

ThreadLook look_at_thread(pid_t tid) {
  ThreadLook l;
  l.tid = tid;
  const std::string dir = "/proc/" + std::to_string(tid);
  // stat: "pid (comm) state ..."; comm may hold spaces and parentheses: the last ')' ends it.
  std::string stat = read_line(dir + "/stat");
  size_t close = stat.rfind(')');
  size_t open = stat.find('(');
  if (close != std::string::npos && close + 2 < stat.size()) l.state = stat[close + 2];
  if (open != std::string::npos && close != std::string::npos && close > open)
    l.comm = stat.substr(open + 1, close - open - 1);
  std::string sc = read_line(dir + "/syscall");  // "nr a0 a1 ... sp pc", "-1 sp pc", "running"
  if (!sc.empty() && sc != "running") {
    std::istringstream in(sc);
    in >> l.syscall;
    for (uint64_t& a : l.args) in >> std::hex >> a;
  }
  l.wchan = read_line(dir + "/wchan");
  if (l.wchan == "0") l.wchan.clear();
  return l;
}

std::string ThreadLook::describe() const {
  std::ostringstream o;
  o << "tid " << tid << " (" << comm << "): " << state_name(state);
  if (syscall >= 0) {
    o << " in " << syscall_display_name(syscall) << "(" << std::hex << "0x" << args[0] << ", 0x"
      << args[1] << ", 0x" << args[2] << ", ...)" << std::dec;
  }
  if (!wchan.empty()) o << " [kernel: " << wchan << "]";
  return o.str();
}

uint64_t Watchdog::quiet_from_env(uint64_t fallback_ns) {
  const char* e = getenv("CKRR_WATCHDOG_SECONDS");
  if (!e || !*e) return fallback_ns;
  double s = atof(e);
  if (s == 0 && e[0] == '0') return 0;
  return s > 0 ? static_cast<uint64_t>(s * 1e9) : fallback_ns;
}

Watchdog::Watchdog(uint64_t quiet_ns, std::function<bool(const Stall&)> on_stall)
    : quiet_ns_(quiet_ns), on_stall_(std::move(on_stall)) {
  // Its thread takes none of the process's signals (they are for the supervisor's loop).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::run() {
  uint64_t seen = progress_.load(std::memory_order_relaxed);
  uint64_t since = now_ns();
  bool reported = false;
  const auto period = std::chrono::nanoseconds(std::min<uint64_t>(quiet_ns_ / 4 + 1, 500000000ull));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period);
    if (stop_) break;
    const uint64_t p = progress_.load(std::memory_order_relaxed);
    const uint64_t now = now_ns();
    if (p != seen) {
      seen = p;
      since = now;
      reported = false;
      continue;
    }
    if (reported || now - since < quiet_ns_) continue;
    lock.unlock();
    Stall st;
    st.quiet_ns = now - since;
    bool running = false;
    st.tids = traced_threads();
    for (pid_t tid : st.tids) {
      ThreadLook l = look_at_thread(tid);
      running = running || l.state == 'R';
      st.ckrr_holds = st.ckrr_holds || l.state == 't';
      st.report += "  " + l.describe() + "\n";
    }
    lock.lock();
    if (running || st.tids.empty()) continue;  // computing, or nothing traced: not stuck
    lock.unlock();
    reported = on_stall_(st);
    lock.lock();
  }
}

}  // namespace ckrr
