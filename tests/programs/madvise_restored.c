// Memory given back after a checkpoint must read as zero when the program is replayed or
// restarted from that checkpoint (issue 12): each round, with sleeps between the steps (where
// checkpoints are taken), every worker drops pages it wrote with madvise(MADV_DONTNEED), grows
// its mapping in place with mremap (the new pages are zero), then rewrites some pages, and
// prints a checksum of its memory. A restored process whose anonymous memory is a private
// mapping of the checkpoint's page packs gets the pack's pages back instead of zeros.
//   usage: madvise_restored THREADS ROUNDS [MB]   (THREADS workers besides the main thread, 0..4)
#define _GNU_SOURCE
#include <pthread.h>
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

static int rounds;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void pause_here(void) {
  struct timespec ts = {0, 2 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

static uint64_t sum(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static void* worker(void* arg) {
  const int id = (int)(intptr_t)arg;
  // Reserve room to grow into, then map the first half: mremap can grow it in place.
  uint8_t* room = mmap(NULL, 2 * NP * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (room == MAP_FAILED) exit(3);
  munmap(room + NP * PG, NP * PG);
  uint8_t* m =
      mmap(room, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  for (size_t i = 0; i < NP; ++i) memset(m + i * PG, (int)(id * 31 + i * 7 + 1), PG);
  size_t len = NP;
  pause_here();
  for (int r = 0; r < rounds; ++r) {
    madvise(m + (size_t)(r % 4) * 16 * PG, 8 * PG, MADV_DONTNEED);
    pause_here();
    if (len == NP) {
      // Grow in place (the pages past the old end must be zero), or shrink back.
      if (mremap(m, NP * PG, 2 * NP * PG, 0) == m) len = 2 * NP;
    } else if (mremap(m, 2 * NP * PG, NP * PG, 0) == m) {
      len = NP;
    }
    pause_here();
    m[(size_t)((r * 5) % NP) * PG + 11] ^= (uint8_t)(0x5a + id);
    const uint64_t h = sum(m, len * PG);
    pthread_mutex_lock(&out_lock);
    printf("worker %d round %d pages %zu sum %016llx\n", id, r, len, (unsigned long long)h);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
    pause_here();
  }
  return NULL;
}

// MB megabytes of distinct pages, then (after the rounds, with a pause where a checkpoint is
// taken, so that a lazy restore is still filling them) some of it dropped, all of it moved by
// mremap, and read by a forked child and by the parent.
static uint8_t* big;
static size_t big_len;

static void big_begin(size_t mb) {
  big_len = mb << 20;
  if (!big_len) return;
  big = mmap(NULL, big_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (big == MAP_FAILED) exit(5);
  for (size_t i = 0; i < big_len; i += PG) memset(big + i, (int)(i / PG % 251 + 1), 64);
}

static void big_end(void) {
  if (!big_len) return;
  pause_here();
  madvise(big + big_len / 4, big_len / 8, MADV_DONTNEED);
  uint8_t* to = mmap(NULL, big_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  big = mremap(big, big_len, big_len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
  if (big == MAP_FAILED) exit(6);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    printf("child big %016llx\n", (unsigned long long)sum(big, big_len));
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(child, &st, 0);
  printf("parent big %016llx\n", (unsigned long long)sum(big, big_len));
  fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int threads = atoi(argv[1]);
  rounds = atoi(argv[2]);
  if (threads < 0 || threads > 4) return 2;
  big_begin(argc > 3 ? (size_t)atol(argv[3]) : 0);
  if (threads == 0) {
    worker((void*)0);
    big_end();
    return 0;
  }
  pthread_t t[4];
  // One worker at a time keeps the output order fixed; the others are alive meanwhile (their
  // stacks and the main thread's are restored too), so every checkpoint holds all threads.
  for (int i = 0; i < threads; ++i) {
    if (pthread_create(&t[i], NULL, worker, (void*)(intptr_t)(i + 1))) return 4;
    pthread_join(t[i], NULL);
  }
  big_end();
  return 0;
}
