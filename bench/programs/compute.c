/* Compute-bound workload for bench/run_record_replay.py.
 *
 * A few hundred ms of integer and floating-point work with almost no syscalls,
 * so the recorder's cost here is what it charges a program that rarely enters
 * the kernel: process start-up, the dynamic loader's syscalls and the final
 * write. Prints a checksum so the output proves the work was done (and that
 * replay computes the same thing).
 *
 * usage: ckrr_bench_compute [ROUNDS]   (default 3000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* xorshift64*: deterministic integer work that the compiler cannot fold away. */
static uint64_t xorshift(uint64_t* s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

int main(int argc, char** argv) {
  long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 3000;
  enum { N = 1 << 16 };  /* 512 KiB of doubles: stays in L2, so we time the CPU, not memory */
  static double v[N];
  uint64_t seed = 88172645463325252ULL, isum = 0;
  double fsum = 0.0;

  for (int i = 0; i < N; i++) v[i] = (double)(xorshift(&seed) >> 11) / 9007199254740992.0;
  for (long r = 0; r < rounds; r++) {
    for (int i = 0; i < N; i++) {
      isum += xorshift(&seed) >> (r & 31);
      /* a logistic-map step keeps values in [0,1] and depends on the previous one */
      v[i] = 3.9 * v[i] * (1.0 - v[i]);
      fsum += v[i];
    }
  }
  printf("compute rounds=%ld isum=%016llx fsum=%.6f\n", rounds, (unsigned long long)isum, fsum);
  return 0;
}
