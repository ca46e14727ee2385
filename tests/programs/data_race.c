// Two threads increment a shared counter without any synchronisation: read it, do ~1 us of
// arithmetic (burn: straight-line code, no loop, no syscall), write it back plus one. When the
// threads really overlap, updates are lost, so the final count depends on the scheduling and
// differs between native runs. argv[1]: increments per thread (default 20000).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static volatile long counter;
static long per_thread = 20000;
static pthread_barrier_t start;  // both begin together, so they overlap

#define STEP x = x * 3 + 7; x ^= x >> 5;
#define STEP4 STEP STEP STEP STEP
#define STEP16 STEP4 STEP4 STEP4 STEP4
#define STEP64 STEP16 STEP16 STEP16 STEP16

// ~640 dependent read-modify-writes of a volatile local: no loop for a step counter to see.
__attribute__((noinline)) static long burn(long seed) {
  volatile long x = seed;
  STEP64 STEP64 STEP64 STEP64 STEP64 STEP64 STEP64 STEP64 STEP64 STEP64
  return x;
}

static void* run(void* arg) {
  long sink = (long)arg;
  pthread_barrier_wait(&start);
  for (long i = 0; i < per_thread; i++) {
    long t = counter;
    sink += burn(t);
    counter = t + 1;
  }
  return (void*)sink;
}

int main(int argc, char** argv) {
  if (argc > 1) per_thread = atol(argv[1]);
  pthread_t a, b;
  pthread_barrier_init(&start, NULL, 2);
  if (pthread_create(&a, NULL, run, (void*)1) != 0 || pthread_create(&b, NULL, run, (void*)2) != 0)
    return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("counter=%ld of %ld\n", counter, 2 * per_thread);
  return 0;
}
