// Hot loops reading the time-stamp counter, as profilers and databases do. Under ckrr each read
// traps (PR_SET_TSC); with the agent, a hot site is patched to read through it (TscSites).
//   rdtsc_hot [N]          N rdtsc (default 200000), then N/4 rdtscp, in loops; checks that no
//                          value goes backwards and that rdtsc keeps the registers it must
//   rdtsc_hot threads [N]  one thread reads rdtscp N times while main makes syscalls
//   rdtsc_hot fork [N]     N reads, then a forked child and the parent read N more each at the
//                          same (by then patched) site
//   rdtsc_hot unmovable N  N reads at a site followed by a RIP-relative store (never patched)
//   rdtsc_hot pick a|b     warms two sites, then reads 100 times at site a or site b (a trace
//                          whose argument is edited diverges at a read)
// Prints only what is the same natively and under ckrr, plus a digest of the values on stderr.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

static inline uint64_t read_tsc(void) {
  uint64_t v;
  // rdtsc then the usual combination: what a patched site moves into its stub.
  __asm__ volatile("rdtsc\n\tshl $32, %%rdx\n\tor %%rdx, %%rax" : "=a"(v) : : "rdx");
  return v;
}

static inline uint64_t read_tscp(unsigned* aux) {
  uint64_t v;
  unsigned c;
  __asm__ volatile("rdtscp\n\tshl $32, %%rdx\n\tor %%rdx, %%rax" : "=a"(v), "=c"(c) : : "rdx");
  *aux = c;
  return v;
}

static uint64_t digest = 1469598103934665603ull;
static void mix(uint64_t v) {
  digest = (digest ^ v) * 1099511628211ull;
}

static long loop(long n) {
  uint64_t prev = read_tsc();
  long backwards = 0;
  for (long i = 0; i < n; i++) {
    uint64_t t = read_tsc();
    backwards += t < prev;
    mix(t - prev);
    prev = t;
  }
  // The compiler's own rdtsc sequence (the intrinsic), and registers kept across a read.
  register uint64_t keep_rbx __asm__("rbx") = 0x1234567890abcdefull;
  for (long i = 0; i < n / 4; i++) {
    uint64_t t = __rdtsc();
    __asm__ volatile("" : "+r"(keep_rbx));
    backwards += t < prev;
    prev = t;
  }
  if (keep_rbx != 0x1234567890abcdefull) printf("rbx changed\n");
  unsigned aux0 = 0, aux = 0;
  read_tscp(&aux0);
  for (long i = 0; i < n / 4; i++) {
    uint64_t t = read_tscp(&aux);
    backwards += t < prev;
    if (aux != aux0) printf("rdtscp aux changed\n"), aux0 = aux;
    mix(t - prev);
    prev = t;
  }
  return backwards;
}

static long thread_n;
static long thread_backwards;
static void* reader(void* arg) {
  (void)arg;
  unsigned aux;
  uint64_t prev = read_tscp(&aux);
  for (long i = 0; i < thread_n; i++) {
    uint64_t t = read_tscp(&aux);
    thread_backwards += t < prev;
    mix(t - prev);
    prev = t;
  }
  return NULL;
}

static volatile int which;
__attribute__((noinline)) static uint64_t site_a(void) {
  which = 1;
  return read_tsc();
}
__attribute__((noinline)) static uint64_t site_b(void) {
  which = 2;
  return read_tsc();
}

static long same_site(long n) {
  long backwards = 0;
  uint64_t prev = 0;
  for (long i = 0; i < n; i++) {
    uint64_t t = site_a();
    backwards += t < prev;
    if (i) mix(t - prev);
    prev = t;
  }
  return backwards;
}

static volatile uint32_t low_word;

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "unmovable") == 0) {
    long n = atol(argv[2]);
    uint32_t prev = 0, wraps = 0;
    for (long i = 0; i < n; i++) {
      __asm__ volatile("rdtsc\n\tmovl %%eax, low_word(%%rip)" : : : "rax", "rdx", "memory");
      wraps += low_word < prev;
      prev = low_word;
      mix(low_word);
    }
    printf("%ld reads\n", n);
    if (getenv("RDTSC_HOT_DIGEST")) printf("digest %016llx\n", (unsigned long long)digest);
    return wraps > 1;
  }
  if (argc > 2 && strcmp(argv[1], "pick") == 0) {
    for (int i = 0; i < 100; i++) site_a(), site_b();
    for (int i = 0; i < 100; i++) argv[2][0] == 'a' ? site_a() : site_b();
    printf("picked %s\n", argv[2]);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "fork") == 0) {
    long n = argc > 2 ? atol(argv[2]) : 10000;
    long b = same_site(n);
    fflush(stdout);
    pid_t pid = fork();
    b += same_site(n);
    if (pid == 0) {
      printf("child: %ld went backwards\n", b);
      return 0;
    }
    int st;
    waitpid(pid, &st, 0);
    printf("parent: %ld went backwards, child status %d\n", b, st);
    if (getenv("RDTSC_HOT_DIGEST")) printf("digest %016llx\n", (unsigned long long)digest);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "threads") == 0) {
    thread_n = argc > 2 ? atol(argv[2]) : 50000;
    pthread_t th;
    pthread_create(&th, NULL, reader, NULL);
    long pids = 0;
    for (int i = 0; i < 2000; i++) pids += getppid() == getppid();
    pthread_join(th, NULL);
    printf("thread: %ld reads, %ld went backwards; main: %ld syscall pairs\n", thread_n,
           thread_backwards, pids);
  } else {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    long b = loop(n);
    printf("%ld reads, %ld went backwards\n", n + n / 4 + n / 4, b);
  }
  fprintf(stderr, "digest %016llx\n", (unsigned long long)digest);
  fflush(stdout);
  // The digest of the values, on stdout only under ckrr's replay check: the same in record
  // and replay, different natively.
  if (getenv("RDTSC_HOT_DIGEST")) printf("digest %016llx\n", (unsigned long long)digest);
  return 0;
}
