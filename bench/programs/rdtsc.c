// A hot loop reading the TSC (profilers, databases timing their queries): N rdtsc, then one
// line of output. Under ckrr each rdtsc traps and is emulated (a ptrace stop); the per-read
// price is what this measures.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  uint64_t prev = __rdtsc(), backwards = 0;
  for (long i = 0; i < n; i++) {
    uint64_t t = __rdtsc();
    backwards += t < prev;
    prev = t;
  }
  printf("%ld reads, %llu went backwards\n", n, (unsigned long long)backwards);
  return 0;
}
