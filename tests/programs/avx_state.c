// Keeps values in ymm registers across syscalls and a time-dependent loop, for state digests.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  __m256d acc = _mm256_set_pd(1.0, 2.0, 3.0, (double)time(NULL));
  for (int i = 0; i < 200; ++i) {
    acc = _mm256_add_pd(acc, _mm256_set1_pd((double)getpid()));
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    acc = _mm256_mul_pd(acc, _mm256_set1_pd(1.0 + (ts.tv_nsec % 7) * 1e-9));
  }
  double out[4];
  _mm256_storeu_pd(out, acc);
  printf("%.17g %.17g %.17g %.17g\n", out[0], out[1], out[2], out[3]);
  return 0;
}
