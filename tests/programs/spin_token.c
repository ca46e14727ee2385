// Two threads hand a token back and forth through an atomic int, N passes each way
// (argv[1], default 200), spinning with NO syscalls while they wait: a recorder pinned to one
// CPU only gets the other thread to run by preempting the spinner. The wait loop keeps every
// register the same from one iteration to the next (a load, a compare, a pause), so no
// progress counter can tell one iteration from the next.
// Prints how often each thread found the token not there yet at its first look: that depends
// on the scheduling and differs between native runs.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_int turn;  // 0: thread a may pass, 1: thread b
static long passes;      // only touched by the token holder
static long n_passes = 200;

struct side {
  int me;
  long waited;
};

// A little work whose length follows a fixed pseudo-random sequence, so that whether the token
// is already back at the first look is decided by timing, pass by pass.
static void work(unsigned* seed) {
  *seed = *seed * 1103515245u + 12345u;
  for (volatile unsigned k = (*seed >> 16) % 1024; k > 0; k--) {
  }
}

static void* run(void* arg) {
  struct side* s = arg;
  const int me = s->me;
  unsigned seed = 42 + me;
  for (long i = 0; i < n_passes; i++) {
    work(&seed);  // outside the token: overlaps the other side's turn
    if (atomic_load_explicit(&turn, memory_order_acquire) != me) {
      s->waited++;
      while (atomic_load_explicit(&turn, memory_order_acquire) != me) __builtin_ia32_pause();
    }
    passes++;
    work(&seed);  // holding the token
    atomic_store_explicit(&turn, 1 - me, memory_order_release);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) n_passes = atol(argv[1]);
  struct side a = {0, 0}, b = {1, 0};
  pthread_t ta, tb;
  if (pthread_create(&ta, NULL, run, &a) != 0 || pthread_create(&tb, NULL, run, &b) != 0)
    return 2;
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  printf("passes=%ld waited_a=%ld waited_b=%ld\n", passes, a.waited, b.waited);
  return 0;
}
