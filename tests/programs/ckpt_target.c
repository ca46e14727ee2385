// Traced by the checkpoint tests. It builds state of every kind a checkpoint must carry (heap,
// brk heap, stack, a MAP_PRIVATE file mapping, TLS, a signal handler, values live in ymm
// registers), calls getppid() as the checkpoint marker (the test stops it there), then prints
// digests of that state and keeps working (more malloc, brk growth) so a restored copy must
// produce the same remaining output. Usage: ckpt_target FILE-TO-MAP
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static __thread uint64_t tls_value;
static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig) { got_usr1 = sig; }

static uint64_t fnv(const void* p, size_t n) {
  const uint8_t* b = p;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const size_t big = 8 << 20;  // mmap'd by malloc
  uint8_t* heap = malloc(big);
  for (size_t i = 0; i < big; ++i) heap[i] = (uint8_t)(i * 7 + (i >> 12));
  char* small[64];  // brk heap
  for (int i = 0; i < 64; ++i) {
    small[i] = malloc(100 + i);
    snprintf(small[i], 100, "small-%d", i * i);
  }
  volatile uint64_t stack_arr[1024];
  for (int i = 0; i < 1024; ++i) stack_arr[i] = (uint64_t)i * 0x9e3779b97f4a7c15ull;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return 3;
  uint8_t* map = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) return 4;
  close(fd);
  map[10] = 'X';  // page 0 private copy, page 1 still the file's
  tls_value = 0xfeedface12345678ull;
  signal(SIGUSR1, on_usr1);
  volatile double third = 1.0 / 3.0;

  printf("before checkpoint\n");
  fflush(stdout);

  uint64_t in[16][4], out[16][4];
  for (int r = 0; r < 16; ++r)
    for (int k = 0; k < 4; ++k) in[r][k] = 0x0101010101010101ull * (uint64_t)(r + 1) + (uint64_t)k;
  long marker;
  // The marker syscall with all 16 ymm registers live across it.
  __asm__ volatile(
      "vmovdqu 0(%[in]), %%ymm0\n vmovdqu 32(%[in]), %%ymm1\n vmovdqu 64(%[in]), %%ymm2\n"
      "vmovdqu 96(%[in]), %%ymm3\n vmovdqu 128(%[in]), %%ymm4\n vmovdqu 160(%[in]), %%ymm5\n"
      "vmovdqu 192(%[in]), %%ymm6\n vmovdqu 224(%[in]), %%ymm7\n vmovdqu 256(%[in]), %%ymm8\n"
      "vmovdqu 288(%[in]), %%ymm9\n vmovdqu 320(%[in]), %%ymm10\n vmovdqu 352(%[in]), %%ymm11\n"
      "vmovdqu 384(%[in]), %%ymm12\n vmovdqu 416(%[in]), %%ymm13\n vmovdqu 448(%[in]), %%ymm14\n"
      "vmovdqu 480(%[in]), %%ymm15\n"
      "mov $110, %%eax\n syscall\n"
      "vmovdqu %%ymm0, 0(%[out])\n vmovdqu %%ymm1, 32(%[out])\n vmovdqu %%ymm2, 64(%[out])\n"
      "vmovdqu %%ymm3, 96(%[out])\n vmovdqu %%ymm4, 128(%[out])\n vmovdqu %%ymm5, 160(%[out])\n"
      "vmovdqu %%ymm6, 192(%[out])\n vmovdqu %%ymm7, 224(%[out])\n vmovdqu %%ymm8, 256(%[out])\n"
      "vmovdqu %%ymm9, 288(%[out])\n vmovdqu %%ymm10, 320(%[out])\n vmovdqu %%ymm11, 352(%[out])\n"
      "vmovdqu %%ymm12, 384(%[out])\n vmovdqu %%ymm13, 416(%[out])\n vmovdqu %%ymm14, 448(%[out])\n"
      "vmovdqu %%ymm15, 480(%[out])\n"
      : "=a"(marker)
      : [in] "r"(in), [out] "r"(out)
      : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
        "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  __asm__ volatile("vzeroupper" ::: "memory");

  printf("marker %ld\n", marker);
  printf("ymm %s\n", memcmp(in, out, sizeof in) == 0 ? "intact" : "CORRUPT");
  printf("heap %016llx\n", (unsigned long long)fnv(heap, big));
  for (int i = 0; i < 64; i += 21) printf("small %s\n", small[i]);
  printf("stack %016llx\n", (unsigned long long)fnv((const void*)stack_arr, sizeof stack_arr));
  printf("map %016llx %c\n", (unsigned long long)fnv(map, 2 * 4096), map[10]);
  printf("tls %016llx\n", (unsigned long long)tls_value);
  printf("third %.17g\n", third);
  raise(SIGUSR1);
  printf("handler %d\n", (int)got_usr1);
  // More work after the checkpoint: brk growth and fresh mmaps must work in a restored process.
  uint64_t acc = 0;
  for (int i = 0; i < 2000; ++i) {
    char* p = malloc(1000 + (size_t)i * 13);
    memset(p, i & 0xff, 1000);
    acc += fnv(p, 1000);
    if (i % 3) free(p);
  }
  uint8_t* more = malloc(16 << 20);
  memset(more, 0x5a, 16 << 20);
  acc += fnv(more, 16 << 20);
  heap = realloc(heap, big * 2);
  acc += fnv(heap, big);
  printf("after %016llx\n", (unsigned long long)acc);
  return 7;
}
