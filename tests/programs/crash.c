// Dies of SIGSEGV at a known instruction in crash_here(), after printing something.
#include <stdio.h>
#include <time.h>

__attribute__((noinline)) void crash_here(volatile int* p) {
  *p = (int)time(NULL);
}

int main(void) {
  printf("about to crash at %ld\n", (long)time(NULL));
  fflush(stdout);
  crash_here((volatile int*)16);
  return 0;
}
