// A POSIX timer (timer_create, SIGEV_SIGNAL with a real-time signal and a value) firing every
// millisecond into a compute loop, and a timerfd read. Output differs natively (iterations).
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static volatile int fired;
static volatile int last_value;

static void on_timer(int sig, siginfo_t* si, void* ctx) {
  (void)sig, (void)ctx;
  fired++;
  last_value = si->si_value.sival_int;
}

__attribute__((noinline)) static uint64_t work(uint64_t x) {
  for (int i = 0; i < 200; i++) x = x * 6364136223846793005ull + 1442695040888963407ull;
  return x;
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_timer;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGRTMIN, &sa, NULL);
  timer_t tid;
  struct sigevent sev = {0};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGRTMIN;
  sev.sigev_value.sival_int = 77;
  if (timer_create(CLOCK_MONOTONIC, &sev, &tid) != 0) return 1;
  struct itimerspec its = {{0, 1000000}, {0, 1000000}};
  timer_settime(tid, 0, &its, NULL);
  uint64_t x = 1, iterations = 0;
  while (fired < 30) {
    x = work(x);
    iterations++;
  }
  timer_delete(tid);
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  struct itimerspec once = {{0, 0}, {0, 2000000}};
  timerfd_settime(tfd, 0, &once, NULL);
  uint64_t expirations = 0;
  ssize_t n = read(tfd, &expirations, sizeof expirations);
  printf("fired=%d value=%d iterations=%llu x=%016llx timerfd=%zd/%llu\n", fired, last_value,
         (unsigned long long)iterations, (unsigned long long)x, n,
         (unsigned long long)expirations);
  return 0;
}
