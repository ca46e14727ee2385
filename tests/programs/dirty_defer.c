// Writes right after a checkpoint boundary to memory the checkpoint saw for the first time
// (issue 12): a dirty tracker that write-protects new mappings only after the app has resumed
// must still count these writes. Each round maps a new region, fills it, makes a syscall
// (where a checkpoint is taken), rewrites some of its pages at once, and makes another.
//   usage: dirty_defer ROUNDS
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096
#define NP 512

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const int rounds = atoi(argv[1]);
  uint64_t h = 1469598103934665603ull;
  uint8_t* keep[64] = {0};
  for (int r = 0; r < rounds; ++r) {
    uint8_t* m = mmap(NULL, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 3;
    for (size_t i = 0; i < NP; ++i) memset(m + i * PG, (int)(r + i + 1), PG);
    for (int k = 0; k < 200; ++k) {
      (void)getppid();  // a checkpoint may be taken here
      // At once, before anything else: a page of every 8th, changed.
      for (size_t i = (size_t)k % 8; i < NP; i += 8) m[i * PG + (size_t)k % PG] ^= (uint8_t)(k + 1);
    }
    for (size_t i = 0; i < (size_t)NP * PG; ++i) h = (h ^ m[i]) * 1099511628211ull;
    if (r < 64) keep[r] = m;
  }
  printf("%016llx\n", (unsigned long long)h);
  return keep[0] ? 0 : 1;
}
