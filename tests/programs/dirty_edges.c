// Dirty tracking edge cases for incremental checkpoints (issue 12): between short sleeps (where
// checkpoints are taken), memory changes in ways a write-protect tracker could miss: read()
// into an untouched page and into a page already saved (the kernel writes them), mremap of a
// written region to a new address, madvise(MADV_DONTNEED) of written pages (they read as zero
// again), and the same in a child after fork. Prints a checksum of everything at the end.
//   usage: dirty_edges DATAFILE ROUNDS
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG 4096
#define NP 64

static void pause_here(void) {
  struct timespec ts = {0, 3 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

static uint64_t sum(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static void fill(uint8_t* p, size_t pages, unsigned seed) {
  for (size_t i = 0; i < pages; ++i) memset(p + i * PG, (int)(seed + i * 7 + 1), PG);
}

static void run(const char* data, int rounds, const char* who) {
  int fd = open(data, O_RDONLY);
  if (fd < 0) exit(3);
  // Room to move `a` around in: two slots of a reservation no other mapping can take.
  uint8_t* room = mmap(NULL, 4 * NP * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint8_t* a =
      mmap(room, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  uint8_t* untouched =
      mmap(NULL, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint8_t* c = mmap(NULL, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fill(a, NP, 1);
  fill(c, NP, 2);
  pause_here();
  for (int r = 0; r < rounds; ++r) {
    // read() into a page never touched, then into one saved since (both written by the kernel).
    pread(fd, untouched + (size_t)(r % NP) * PG + 100, 300, r * 17);
    pause_here();
    pread(fd, untouched + (size_t)(r % NP) * PG + 1000, 200, r * 31 + 5);
    pause_here();
    // mremap the written region elsewhere, then change one page of it.
    uint8_t* moved = mremap(a, NP * PG, NP * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
                            r % 2 ? room : room + 2 * NP * PG);
    if (moved == MAP_FAILED) exit(4);
    a = moved;
    pause_here();
    a[(r * 5 % NP) * PG + 9] ^= 0x5a;
    pause_here();
    // Written pages dropped: they read as zero; one is read (the zero page), one rewritten.
    madvise(c + (size_t)(r % 8) * 8 * PG, 4 * PG, MADV_DONTNEED);
    pause_here();
    volatile uint8_t z = c[(size_t)(r % 8) * 8 * PG + 3];
    (void)z;
    c[(size_t)(r % 8) * 8 * PG + PG + 7] = (uint8_t)r;
    pause_here();
  }
  printf("%s a=%016llx untouched=%016llx c=%016llx\n", who, (unsigned long long)sum(a, NP * PG),
         (unsigned long long)sum(untouched, NP * PG), (unsigned long long)sum(c, NP * PG));
  fflush(stdout);
  close(fd);
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int rounds = atoi(argv[2]);
  run(argv[1], rounds, "parent");
  pid_t child = fork();
  if (child == 0) {
    run(argv[1], rounds, "child");
    _exit(0);
  }
  int st;
  waitpid(child, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
