#include "recorder/TickTimer.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "core/Error.h"

namespace ckrr {

namespace {
volatile sig_atomic_t g_tick = 0;
void on_tick(int) {
  g_tick = 1;
}
}  // namespace

TickTimer::~TickTimer() {
  if (created_) timer_delete(timer_);
}

bool TickTimer::take() {
  if (!g_tick) return false;
  g_tick = 0;
  return true;
}

void TickTimer::set_running(bool on, uint64_t period_ns) {
  if (on == running_ && (!on || period_ns == period_ns_)) return;
  if (!created_) {
    struct sigaction sa {};
    sa.sa_handler = on_tick;  // no SA_RESTART: waitpid must return EINTR
    sigaction(SIGALRM, &sa, nullptr);
    sigevent ev{};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGALRM;
    ev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer_) != 0)
      throw Error(errno_text("timer_create", errno));
    created_ = true;
  }
  itimerspec its{};
  if (on) {
    its.it_interval.tv_sec = static_cast<time_t>(period_ns / 1000000000ull);
    its.it_interval.tv_nsec = static_cast<long>(period_ns % 1000000000ull);
    its.it_value = its.it_interval;
  }
  timer_settime(timer_, 0, &its, nullptr);
  running_ = on;
  period_ns_ = period_ns;
}

}  // namespace ckrr
