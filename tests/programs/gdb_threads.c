// Debugged with gdb across threads (tests/e2e/test_gdb_threads.py): 4 named workers add to a
// counter under a mutex and to a global without one (a data race, replayed as recorded).
// gdb_threads [ROUNDS [SLEEP_US]]: each worker calls add_one ROUNDS times (50), sleeping
// SLEEP_US (100) every 10th, so that a recording can span several checkpoints.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { kWorkers = 4 };
static int rounds = 50;
static useconds_t sleep_us = 100;

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
long counter = 0;
volatile long racy_global = 0;

static void add_one(long who) {
  pthread_mutex_lock(&lock);
  counter += 1;
  pthread_mutex_unlock(&lock);
  racy_global = racy_global + who;  // no lock: who wrote last depends on the schedule
}

static void* worker(void* arg) {
  long who = (long)arg;
  for (int i = 0; i < rounds; ++i) {
    add_one(who);
    if (i % 10 == 0) usleep(sleep_us);  // let the others in
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) rounds = atoi(argv[1]);
  if (argc > 2) sleep_us = (useconds_t)atoi(argv[2]);
  pthread_t t[kWorkers];
  for (long i = 0; i < kWorkers; ++i) {
    char name[16];
    snprintf(name, sizeof name, "worker-%ld", i + 1);
    pthread_create(&t[i], NULL, worker, (void*)(i + 1));
    pthread_setname_np(t[i], name);
  }
  for (int i = 0; i < kWorkers; ++i) pthread_join(t[i], NULL);
  printf("counter %ld racy %ld\n", counter, racy_global);
  return 0;
}
