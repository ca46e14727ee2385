// Recorded and debugged by the gdb e2e tests: a function called in a loop that changes a
// global and a local, with a syscall in each iteration (so iterations are separate events).
#include <stdio.h>
#include <unistd.h>

int counter = 0;

int bump(int step) {
  int local = step * 10;
  counter += step;
  local += counter;
  return local;
}

int main(void) {
  int total = 0;
  for (int i = 1; i <= 5; ++i) {
    total += bump(i);
    printf("i=%d counter=%d total=%d\n", i, counter, total);
    fflush(stdout);
  }
  getpid();
  return total & 0x7f;
}
