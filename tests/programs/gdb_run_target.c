// The program a debugger runs in the tests of gdb under ckrr record (test_syscalls): a
// function to break at, called from main, and output of its own.
#include <stdio.h>

__attribute__((noinline)) int target(int x) {
  __asm__ volatile("" ::: "memory");
  return x * 3;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);  // each line as it is printed, between gdb's
  for (int i = 1; i <= 3; ++i) printf("target(%d) = %d\n", i, target(i));
  return 0;
}
