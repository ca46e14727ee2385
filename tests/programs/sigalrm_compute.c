// A 1 ms interval timer (setitimer ITIMER_REAL) interrupts a compute loop: the SIGALRM
// handler counts, and main computes (burn: straight-line arithmetic, no loop inside, no
// syscall) until the handler has run K times (argv[1], default 100), ~100-200 ms. How many
// iterations fit between the signals depends on the machine, so the iteration count and the
// checksum differ between native runs; a replay must deliver each signal at the same
// instruction to reproduce them.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static volatile int handler_count;

static void on_alarm(int sig) {
  (void)sig;
  handler_count++;
}

#define STEP x = x * 3 + 7; x ^= x >> 5;
#define STEP4 STEP STEP STEP STEP
#define STEP16 STEP4 STEP4 STEP4 STEP4
#define STEP64 STEP16 STEP16 STEP16 STEP16

__attribute__((noinline)) static unsigned long burn(unsigned long seed) {
  volatile unsigned long x = seed;
  STEP64 STEP64 STEP64 STEP64 STEP64
  return x;
}

int main(int argc, char** argv) {
  int k = argc > 1 ? atoi(argv[1]) : 100;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 1000}, {0, 1000}};
  if (setitimer(ITIMER_REAL, &it, NULL) != 0) return 2;
  unsigned long iterations = 0, checksum = 1;
  while (handler_count < k) {
    checksum = burn(checksum);
    iterations++;
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  int seen = handler_count;
  printf("handler_count=%d iterations=%lu checksum=%016lx\n", seen, iterations, checksum);
  return 0;
}
