// Two threads take turns through a shared flag, waiting with sched_yield (a switch point the
// recorder honours), and a third blocked in a robust mutex handoff. Deterministic output.
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int turn;
static long log_[400];
static int n;

static void* player(void* arg) {
  int me = (int)(long)arg;
  for (int i = 0; i < 200; i++) {
    while (atomic_load(&turn) != me) sched_yield();
    log_[n++] = me;
    atomic_store(&turn, 1 - me);
  }
  return NULL;
}

int main(void) {
  pthread_t t[2];
  for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, player, (void*)i);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  int alternating = 1;
  for (int i = 1; i < n; i++) alternating &= log_[i] != log_[i - 1];
  printf("turns=%d alternating=%d\n", n, alternating);
  return 0;
}
