// Built with AddressSanitizer: at exit LeakSanitizer stops the program's threads with ptrace
// (from a helper that shares its memory) and reports the one leak below.
#include <stdio.h>
#include <stdlib.h>

void* keep;

int main(void) {
  keep = malloc(10);
  keep = NULL;  // leaked
  puts("done");
  return 0;
}
