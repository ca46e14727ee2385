// The app side of bench/run_checkpoint_stall.py: touches MB megabytes with distinct non-zero
// pages, then loops ~1 ms of work between clock_gettime calls for SECONDS, printing every gap
// longer than 3 ms between two calls (its length and when it ended, CLOCK_MONOTONIC ns): a
// checkpoint's stall as the app itself sees it. When the file CTL exists it rewrites 10% of
// its pages (every 10th), removes CTL and prints "dirtied"; when CTL.touch exists it reads every
// page, removes it and prints "touched"; when CTL.stop exists it ends.
//   usage: gap MB SECONDS CTL
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static volatile uint64_t sink;

static void work(uint64_t iters) {
  uint64_t x = sink | 1;
  for (uint64_t i = 0; i < iters; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  sink = x;
}

static void fill(uint64_t* mem, size_t words, size_t stride_pages, uint64_t seed) {
  const size_t per_page = 4096 / 8;
  for (size_t p = 0; p * per_page < words; p += stride_pages)
    for (size_t w = 0; w < per_page; ++w)
      mem[p * per_page + w] = (seed + p * per_page + w) * 0x9e3779b97f4a7c15ull | 1;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: gap MB SECONDS CTL\n");
    return 2;
  }
  size_t bytes = (size_t)atol(argv[1]) << 20;
  double seconds = atof(argv[2]);
  const char* ctl = argv[3];
  char stop[4096];
  snprintf(stop, sizeof stop, "%s.stop", ctl);
  char touch[4096];
  snprintf(touch, sizeof touch, "%s.touch", ctl);
  uint64_t* mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 1;
  fill(mem, bytes / 8, 1, 1);
  // ~1 ms of work per iteration, calibrated here.
  uint64_t iters = 100000;
  for (;;) {
    uint64_t t0 = now_ns();
    work(iters);
    uint64_t dt = now_ns() - t0;
    if (dt > 500000) {
      iters = iters * 1000000 / dt;
      break;
    }
    iters *= 4;
  }
  printf("ready %llu\n", (unsigned long long)now_ns());
  fflush(stdout);
  uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9), prev = start, max = 0;
  uint64_t seed = 2;
  for (uint64_t n = 0;; ++n) {
    work(iters);
    uint64_t t = now_ns();
    uint64_t gap = t - prev;
    if (gap > max) max = gap;
    if (gap > 3000000) {
      printf("gap %.3f ms end %llu\n", gap / 1e6, (unsigned long long)t);
      fflush(stdout);
    }
    prev = t;
    if (t >= end) break;
    if (n % 10 == 0 && access(stop, F_OK) == 0) break;
    if (n % 10 == 0 && access(touch, F_OK) == 0) {
      // Reads one word of every page (after a lazy restore: until every page is in).
      uint64_t s = 0, t0 = now_ns();
      for (size_t w = 0; w < bytes / 8; w += 4096 / 8) s += mem[w];
      sink = s;
      unlink(touch);
      printf("touched %.3f ms\n", (now_ns() - t0) / 1e6);
      fflush(stdout);
      prev = now_ns();
    }
    if (n % 10 == 0 && access(ctl, F_OK) == 0) {
      fill(mem, bytes / 8, 10, seed++ << 40);
      unlink(ctl);
      printf("dirtied %llu\n", (unsigned long long)now_ns());
      fflush(stdout);
      prev = now_ns();  // the rewrite itself is the app's own work, not a stall
    }
  }
  printf("done max gap %.3f ms\n", max / 1e6);
  return 0;
}
