// Prints values that differ on every native run: clocks, rdtsc/rdtscp, getrandom,
// /dev/urandom, the pid. Replay must print the recorded ones.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

int main(void) {
  struct timespec ts, mono;
  clock_gettime(CLOCK_REALTIME, &ts);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  unsigned aux = 0;
  uint64_t tsc = __rdtsc();
  uint64_t tscp = __rdtscp(&aux);
  uint64_t r1 = 0, r2 = 0;
  if (getrandom(&r1, sizeof r1, 0) != sizeof r1) return 2;
  int fd = open("/dev/urandom", O_RDONLY);
  if (fd < 0 || read(fd, &r2, sizeof r2) != sizeof r2) return 3;
  close(fd);
  printf("realtime %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
  printf("monotonic %lld.%09ld\n", (long long)mono.tv_sec, mono.tv_nsec);
  printf("gettimeofday %lld.%06ld time %lld\n", (long long)tv.tv_sec, (long)tv.tv_usec,
         (long long)time(NULL));
  printf("rdtsc %llu rdtscp %llu aux %u\n", (unsigned long long)tsc, (unsigned long long)tscp, aux);
  printf("getrandom %016llx urandom %016llx\n", (unsigned long long)r1, (unsigned long long)r2);
  printf("pid %d ppid %d\n", getpid(), getppid());
  return 0;
}
