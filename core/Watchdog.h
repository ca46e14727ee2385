#pragma once
// Notices a supervisor (record or replay) that makes no progress: when no event has gone by for
// a while and no thread it traces is running, it describes each of them from /proc (state, the
// syscall it waits in, the kernel function) so that a hang names what it waits for. It runs on
// its own thread and finds the threads itself (TracerPid in /proc, read only once stalled), so
// the supervisor's hot path pays one relaxed atomic store per event (progress()) and nothing
// per clone or exit.
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ckrr {

// One traced thread as /proc shows it.
struct ThreadLook {
  pid_t tid = 0;
  char state = '?';    // R running, S/D sleeping, t stopped by ckrr (ptrace), T, Z...
  long syscall = -2;   // the call it is in (-1: none; -2: unknown, e.g. running)
  uint64_t args[3]{};  // its first arguments
  std::string comm;    // its name
  std::string wchan;   // the kernel function it sleeps in
  std::string describe() const;
};
ThreadLook look_at_thread(pid_t tid);
// The threads this process traces (TracerPid), by a walk of /proc.
std::vector<pid_t> traced_threads();

class Watchdog {
 public:
  struct Stall {
    uint64_t quiet_ns = 0;
    std::string report;       // one line per thread
    bool ckrr_holds = false;  // some thread waits in a ptrace stop for ckrr (a ckrr problem)
    std::vector<pid_t> tids;  // the threads described
  };
  // on_stall runs on the watchdog's thread when nothing progressed for quiet_ns and no thread
  // is running, then at every check (about quiet_ns / 4) until it returns true (done with this
  // stall: called again only after progress).
  Watchdog(uint64_t quiet_ns, std::function<bool(const Stall&)> on_stall);
  // The quiet time before a report: $CKRR_WATCHDOG_SECONDS, else fallback_ns; 0 when it is
  // "0" (no watchdog: the sessions then start none).
  static uint64_t quiet_from_env(uint64_t fallback_ns);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void progress() {
    progress_.store(progress_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

 private:
  void run();

  uint64_t quiet_ns_;
  std::function<bool(const Stall&)> on_stall_;
  std::atomic<uint64_t> progress_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ckrr
