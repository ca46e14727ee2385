// Recorded and debugged by the gdb e2e tests: a function called in a loop that changes a
// global and a local, with a syscall in each iteration (so iterations are separate events).
// gdb_loop [N [SLEEP_US [SPIN_M]]]: N iterations (5), sleeping SLEEP_US after each (0), so that
// a recording can span several checkpoints, and spinning SPIN_M million times in each call
// (0): a long stretch without syscalls, for Ctrl-C.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int counter = 0;
long spin_m = 0;

int bump(int step) {
  int local = step * 10;
  counter += step;
  for (volatile long k = 0; k < spin_m * 1000000; ++k) {
  }
  local += counter;
  return local;
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5;
  long sleep_us = argc > 2 ? atol(argv[2]) : 0;
  spin_m = argc > 3 ? atol(argv[3]) : 0;
  int total = 0;
  for (int i = 1; i <= n; ++i) {
    total += bump(i);
    printf("i=%d counter=%d total=%d\n", i, counter, total);
    fflush(stdout);
    if (sleep_us) {
      struct timespec ts = {sleep_us / 1000000, (sleep_us % 1000000) * 1000};
      nanosleep(&ts, NULL);
    }
  }
  getpid();
  return total & 0x7f;
}
