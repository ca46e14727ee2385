// The bundled demo: everything in its output changes from run to run (time, randomness, pid,
// the file it reads), yet `ckrr replay` reproduces it exactly.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t r = 0;
  getrandom(&r, sizeof r, 0);
  printf("time      %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
  printf("random    %016llx\n", (unsigned long long)r);
  printf("pid       %d\n", getpid());
  if (argc > 1) {
    int fd = open(argv[1], O_RDONLY);
    char buf[4096];
    ssize_t n;
    uint64_t h = 1469598103934665603ull;
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
      for (ssize_t i = 0; i < n; ++i) h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
    printf("file hash %016llx (%s)\n", (unsigned long long)h, argv[1]);
  }
  return 0;
}
