// A steady workload for the seek benchmark: for S seconds, ~4 ms of computation then a
// clock_gettime and a 2 ms sleep, repeated. Replay skips the sleeps but must redo the work,
// so replaying it from the start costs time proportional to its length.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 10;
  double end = now() + seconds;
  uint64_t x = 88172645463325252ull, iterations = 0;
  while (now() < end) {
    for (int i = 0; i < 2000000; ++i) {  // ~4 ms: xorshift
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    ++iterations;
  }
  printf("%llu iterations, checksum %016llx\n", (unsigned long long)iterations,
         (unsigned long long)x);
  return 0;
}
