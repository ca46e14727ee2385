// The program the real-gdb test debugs: a function called three times with a known argument
// and a global that changes, so breakpoints, locals, backtraces and finish have known answers.
#include <stdio.h>

volatile int global_counter = 0;

__attribute__((noinline)) int target_function(int n) {
  int doubled = n * 2;
  global_counter += n;
  return doubled + global_counter;
}

int main(int argc, char** argv) {
  (void)argv;
  // With an argument: spin without syscalls, so only an interrupt can stop it.
  while (argc > 1) global_counter++;
  int total = 0;
  for (int i = 1; i <= 3; i++) total += target_function(i);
  printf("total %d\n", total);
  return 7;
}
