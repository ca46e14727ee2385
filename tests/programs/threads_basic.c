// Four pthreads sum disjoint ranges into a mutex-protected total, hand a baton round a ring
// with a condition variable, count in thread-local storage, name themselves
// (pthread_setname_np, read back with prctl(PR_GET_NAME)) and check gettid() != getpid().
// Everything printed is deterministic; main prints it after the joins, in thread order.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define NTHREADS 4
#define PER_THREAD 250000L
#define ROUNDS 50

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long total;
static int baton;  // whose turn it is in the ring, under `lock`
static __thread long tls_counter;

struct result {
  int index;
  long partial;
  long tls;
  int handoffs;
  int tid_differs;
  char name[16];
};

static void* worker(void* arg) {
  struct result* r = arg;
  char want[16];
  snprintf(want, sizeof want, "worker-%d", r->index);
  pthread_setname_np(pthread_self(), want);
  prctl(PR_GET_NAME, r->name, 0, 0, 0);
  r->tid_differs = gettid() != getpid();

  long lo = r->index * PER_THREAD, hi = lo + PER_THREAD, sum = 0;
  for (long i = lo; i < hi; i++) {
    sum += i;
    tls_counter++;
  }
  pthread_mutex_lock(&lock);
  total += sum;
  pthread_mutex_unlock(&lock);
  r->partial = sum;

  for (int round = 0; round < ROUNDS; round++) {
    pthread_mutex_lock(&lock);
    while (baton != r->index) pthread_cond_wait(&cond, &lock);
    baton = (baton + 1) % NTHREADS;
    r->handoffs++;
    tls_counter++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
  }
  r->tls = tls_counter;
  return r;
}

int main(void) {
  pthread_t th[NTHREADS];
  struct result res[NTHREADS];
  memset(res, 0, sizeof res);
  tls_counter = 1000;  // main's own copy: untouched by the workers
  for (int i = 0; i < NTHREADS; i++) {
    res[i].index = i;
    if (pthread_create(&th[i], NULL, worker, &res[i]) != 0) return 2;
  }
  for (int i = 0; i < NTHREADS; i++) {
    void* ret;
    pthread_join(th[i], &ret);
    if (ret != &res[i]) return 3;
  }
  for (int i = 0; i < NTHREADS; i++)
    printf("thread %d name %s partial %ld tls %ld handoffs %d tid!=pid %d\n", res[i].index,
           res[i].name, res[i].partial, res[i].tls, res[i].handoffs, res[i].tid_differs);
  long n = NTHREADS * PER_THREAD;
  printf("total %ld expected %ld main tls %ld main tid==pid %d\n", total, n * (n - 1) / 2,
         tls_counter, gettid() == getpid());
  return 0;
}
