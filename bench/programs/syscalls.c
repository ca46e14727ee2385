/* Syscall-heavy workload for bench/run_record_replay.py.
 *
 * A tight loop of cheap syscalls: every one of them is a stop at the supervisor
 * under ckrr (getpid and clock_gettime are nondeterministic inputs; read is file
 * data), so (record time - native time) / events is the per-stop cost.
 *
 * usage: ckrr_bench_syscalls [ITERATIONS]   (default 200000; 3 syscalls each)
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
  int fd = open("/dev/zero", O_RDONLY);
  if (fd < 0) {
    perror("open /dev/zero");
    return 1;
  }
  uint64_t acc = 0;
  char buf[64];
  for (long i = 0; i < iters; i++) {
    struct timespec ts;
    acc += (uint64_t)getpid();
    /* glibc would use the vDSO; ckrr turns it into a real syscall, so native is cheaper here */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    acc += (uint64_t)ts.tv_nsec & 1;
    if (read(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
      perror("read /dev/zero");
      return 1;
    }
    acc += (unsigned char)buf[i & 63];
  }
  close(fd);
  /* acc depends on time, so print only what is deterministic natively too: the count */
  printf("syscalls iterations=%ld calls=%ld\n", iters, iters * 3);
  (void)acc;
  return 0;
}
