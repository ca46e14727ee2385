#pragma once
// A periodic tick aimed at the recorder's own supervising thread (SIGEV_THREAD_ID): its signal
// interrupts the waitpid() of the scheduling loop so the loop can preempt a thread that ran too
// long, place deferred signals, or stop waiting for a syscall that blocks. Armed only while
// there is something to schedule (several threads, or signals waiting), or, more slowly, while
// periodic checkpoints may have to interrupt the only thread's wait (WaitInterruption.h).
#include <time.h>

#include <cstdint>

namespace ckrr {

class TickTimer {
 public:
  TickTimer() = default;
  ~TickTimer();
  TickTimer(const TickTimer&) = delete;
  TickTimer& operator=(const TickTimer&) = delete;
  void set_running(bool on, uint64_t period_ns);
  // True (once) when a tick arrived since the last call.
  static bool take();

 private:
  timer_t timer_{};
  bool created_ = false;
  bool running_ = false;
  uint64_t period_ns_ = 0;
};

}  // namespace ckrr
