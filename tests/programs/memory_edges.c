// One probe per memory-map edge case (argv[1] names it), printing only what is the same in
// every run, so a native run, the recording and its replays compare byte for byte.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static const long kPage = 4096;

static unsigned sum(const unsigned char* p, size_t n) {
  unsigned s = 0;
  for (size_t i = 0; i < n; i++) s = s * 31 + p[i];
  return s;
}

static void remaps(void) {
  char* a = mmap(NULL, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 4 * kPage; i++) a[i] = (char)(i * 7);
  unsigned before = sum((unsigned char*)a, 4 * kPage);
  // Grow (in place or moved), then move to a chosen place, then shrink; non page-aligned size.
  char* b = mremap(a, 4 * kPage, 8 * kPage, MREMAP_MAYMOVE);
  printf("grow: %s same bytes %d\n", b == MAP_FAILED ? strerrorname_np(errno) : "ok",
         sum((unsigned char*)b, 4 * kPage) == before);
  b[8 * kPage - 1] = 9;
  char* target = mmap(NULL, 16 * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char* c = mremap(b, 8 * kPage, 8 * kPage, MREMAP_MAYMOVE | MREMAP_FIXED, target + 4 * kPage);
  printf("move: %s at target %d last %d\n", c == MAP_FAILED ? strerrorname_np(errno) : "ok",
         c == target + 4 * kPage, c[8 * kPage - 1]);
  char* d = mremap(c, 8 * kPage, 3 * kPage + 100, 0);
  printf("shrink unaligned: %s same bytes %d\n", d == MAP_FAILED ? strerrorname_np(errno) : "ok",
         sum((unsigned char*)d, 3 * kPage) == sum((unsigned char*)c, 3 * kPage));
  // Two adjacent anonymous mappings with the same protection merge; remap across both.
  char* m = mmap(NULL, 4 * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mmap(m, 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  char* n = mmap(m + 2 * kPage, 2 * kPage, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  memset(m, 1, 2 * kPage);
  memset(n, 2, 2 * kPage);
  char* e = mremap(m, 4 * kPage, 6 * kPage, MREMAP_MAYMOVE);
  printf("across merged: %s %d %d\n", e == MAP_FAILED ? strerrorname_np(errno) : "ok", e[0],
         e[3 * kPage]);
  char* f = mremap(e + kPage, kPage, kPage, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
  printf("dontunmap: %s old now %d new %d\n", f == MAP_FAILED ? strerrorname_np(errno) : "ok",
         f == MAP_FAILED ? -1 : e[kPage], f == MAP_FAILED ? -1 : f[0]);
}

static void shared_file(void) {
  char path[300];
  snprintf(path, sizeof path, "%s/shared", dir);
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
  ftruncate(fd, 2 * kPage);
  char* p = mmap(NULL, 2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  strcpy(p, "parent wrote this");
  for (int i = 0; i < 3; i++) {
    pid_t c = fork();
    if (c == 0) {
      char* q = mmap(NULL, 2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      char seen[8] = {0};
      memcpy(seen, q, 6);
      snprintf(q + kPage + i * 32, 32, "child %d saw '%s'", i, seen);
      _exit(0);
    }
    waitpid(c, NULL, 0);
  }
  for (int i = 0; i < 3; i++) printf("%s\n", p + kPage + i * 32);
  char buf[40] = {0};
  pread(fd, buf, 17, 0);
  printf("read back: %s\n", buf);
  msync(p, 2 * kPage, MS_SYNC);
}

static void memfd_shared(void) {
  int fd = memfd_create("ckrr-probe", MFD_CLOEXEC);
  ftruncate(fd, kPage);
  int* counter = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  for (int i = 0; i < 4; i++) {
    pid_t c = fork();
    if (c == 0) {
      int* q = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      q[0] += 10 + i;
      _exit(0);
    }
    waitpid(c, NULL, 0);
  }
  printf("memfd counter: %d\n", counter[0]);
  int v = 0;
  pread(fd, &v, sizeof v, 0);
  printf("memfd read: %d\n", v);
}

static void sparse(void) {
  // Tens of GB reserved, little touched: nothing in ckrr may cost in proportion.
  size_t big = 32ull << 30;
  char* p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  printf("reserve 32 GiB: %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
  if (p == MAP_FAILED) return;
  for (size_t off = 0; off < big; off += 1ull << 30) p[off] = (char)(off >> 30);
  unsigned s = 0;
  for (size_t off = 0; off < big; off += 1ull << 30) s += (unsigned char)p[off];
  printf("touched 32 pages, sum %u\n", s);
  char* none = mmap(NULL, 64ull << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  printf("reserve 64 GiB PROT_NONE: %s\n", none == MAP_FAILED ? strerrorname_np(errno) : "ok");
  usleep(300000);  // long enough for checkpoints of all this
  p[5ull << 30] = 1;
  munmap(p, big);
}

static void advice(void) {
  char* p = mmap(NULL, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 5, 4 * kPage);
  printf("MADV_DONTNEED: %d then %d\n", madvise(p, kPage, MADV_DONTNEED), p[0]);
  printf("MADV_FREE: %s\n", madvise(p + kPage, kPage, MADV_FREE) ? strerrorname_np(errno) : "ok");
  printf("MADV_WILLNEED: %d\n", madvise(p, 4 * kPage, MADV_WILLNEED));
  printf("mlock: %s\n", mlock(p, kPage) ? strerrorname_np(errno) : "ok");
  printf("munlock: %s\n", munlock(p, kPage) ? strerrorname_np(errno) : "ok");
  printf("mlock2 onfault: %s\n", mlock2(p, kPage, MLOCK_ONFAULT) ? strerrorname_np(errno) : "ok");
  printf("mlockall onfault: %s\n", mlockall(MCL_CURRENT | MCL_ONFAULT) ? strerrorname_np(errno) : "ok");
  printf("munlockall: %s\n", munlockall() ? strerrorname_np(errno) : "ok");
  unsigned char vec[4];
  printf("mincore: %s\n", mincore(p, 4 * kPage, vec) ? strerrorname_np(errno) : "ok");
  char* g = mmap(NULL, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
  printf("MAP_GROWSDOWN: %s\n", g == MAP_FAILED ? strerrorname_np(errno) : "ok");
  if (g != MAP_FAILED) {
    g[0] = 1;  // its lowest page
    g[4 * kPage - 1] = 2;
    printf("touched: %d %d\n", g[0], g[4 * kPage - 1]);
  }
}

static void exec_memfd(int argc, char** argv) {
  if (argc > 3) {
    printf("running from a memfd: %s\n", argv[3]);
    return;
  }
  int self = open("/proc/self/exe", O_RDONLY);
  int m = memfd_create("ckrr-exe", MFD_CLOEXEC);
  char buf[65536];
  ssize_t n;
  while ((n = read(self, buf, sizeof buf)) > 0) write(m, buf, n);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    char* args[] = {"memory_edges", "exec", dir, "fexecve", NULL};
    extern char** environ;
    fexecve(m, args, environ);
    printf("fexecve: %s\n", strerrorname_np(errno));
    _exit(1);
  }
  int st;
  waitpid(c, &st, 0);
  c = fork();
  if (c == 0) {
    char* args[] = {"memory_edges", "exec", dir, "execveat", NULL};
    extern char** environ;
    syscall(SYS_execveat, m, "", args, environ, AT_EMPTY_PATH);
    printf("execveat: %s\n", strerrorname_np(errno));
    _exit(1);
  }
  waitpid(c, &st, 0);
  printf("children done\n");
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: memory_edges GROUP DIR\n");
    return 2;
  }
  snprintf(dir, sizeof dir, "%s", argv[2]);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (!strcmp(argv[1], "mremap")) remaps();
  else if (!strcmp(argv[1], "shared_file")) shared_file();
  else if (!strcmp(argv[1], "memfd")) memfd_shared();
  else if (!strcmp(argv[1], "sparse")) sparse();
  else if (!strcmp(argv[1], "advice")) advice();
  else if (!strcmp(argv[1], "exec")) exec_memfd(argc, argv);
  else return 2;
  return 0;
}
