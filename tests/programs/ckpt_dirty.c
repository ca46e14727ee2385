// Benchmark target: allocates SIZE_MB of memory, then loops ROUNDS times: dirty PERCENT% of
// the pages, call getppid() (where the benchmark takes a checkpoint).
// Usage: ckpt_dirty SIZE_MB ROUNDS PERCENT
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  size_t size = (size_t)atol(argv[1]) << 20;
  int rounds = atoi(argv[2]), percent = atoi(argv[3]);
  uint8_t* m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 3;
  size_t pages = size / 4096;
  for (size_t i = 0; i < pages; ++i) ((uint64_t*)(m + i * 4096))[0] = i * 0x9e3779b97f4a7c15ull;
  for (int r = 0; r < rounds; ++r) {
    syscall(SYS_getppid);
    size_t step = 100 / (size_t)percent;
    for (size_t i = (size_t)r % step; i < pages; i += step) ((uint64_t*)(m + i * 4096))[1] += r + 1;
  }
  syscall(SYS_getppid);
  return 0;
}
