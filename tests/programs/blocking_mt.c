// Four threads block in the kernel at once, each in a different way: read() on a pipe,
// nanosleep(20 ms), poll() on an eventfd, and pthread_cond_timedwait (a futex wait with a
// timeout). Main computes a while, then feeds the pipe, the eventfd and the condition; every
// thread finishes and main prints what each got, in thread order.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int pipe_fds[2], efd;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int cond_value;
static char results[4][128];

static void* reader(void* arg) {
  (void)arg;
  char buf[32] = {0};
  size_t got = 0;
  while (got < 6) {  // "piped!" may come in pieces
    ssize_t r = read(pipe_fds[0], buf + got, sizeof buf - 1 - got);
    if (r <= 0) break;
    got += r;
  }
  snprintf(results[0], sizeof results[0], "read: %zu bytes '%s'", got, buf);
  return NULL;
}

static void* sleeper(void* arg) {
  (void)arg;
  struct timespec ts = {0, 20 * 1000000L};
  int r;
  while ((r = nanosleep(&ts, &ts)) != 0 && errno == EINTR) {
  }
  snprintf(results[1], sizeof results[1], "nanosleep(20ms): %d", r);
  return NULL;
}

static void* poller(void* arg) {
  (void)arg;
  struct pollfd pfd = {efd, POLLIN, 0};
  int r;
  while ((r = poll(&pfd, 1, -1)) < 0 && errno == EINTR) {
  }
  uint64_t v = 0;
  ssize_t n = read(efd, &v, sizeof v);
  snprintf(results[2], sizeof results[2], "poll(eventfd): %d revents %s, read %zd value %llu", r,
           pfd.revents == POLLIN ? "POLLIN" : "?", n, (unsigned long long)v);
  return NULL;
}

static void* waiter(void* arg) {
  (void)arg;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 30;
  int r = 0;
  pthread_mutex_lock(&lock);
  while (cond_value == 0 && r == 0) r = pthread_cond_timedwait(&cond, &lock, &deadline);
  snprintf(results[3], sizeof results[3], "pthread_cond_timedwait: %s, value %d",
           r == 0 ? "signalled" : strerror(r), cond_value);
  pthread_mutex_unlock(&lock);
  return NULL;
}

static unsigned long work(unsigned long n) {
  volatile unsigned long x = 1;
  for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
  return x;
}

int main(void) {
  if (pipe(pipe_fds) != 0) return 2;
  efd = eventfd(0, EFD_CLOEXEC);
  if (efd < 0) return 3;
  void* (*fns[4])(void*) = {reader, sleeper, poller, waiter};
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    if (pthread_create(&th[i], NULL, fns[i], NULL) != 0) return 4;

  unsigned long x = work(50 * 1000 * 1000);  // ~50 ms: everyone is blocked by now

  if (write(pipe_fds[1], "pip", 3) != 3 || write(pipe_fds[1], "ed!", 3) != 3) return 5;
  uint64_t one = 7;
  if (write(efd, &one, sizeof one) != sizeof one) return 6;
  pthread_mutex_lock(&lock);
  cond_value = 99;
  pthread_cond_signal(&cond);
  pthread_mutex_unlock(&lock);

  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 4; i++) printf("%s\n", results[i]);
  printf("work done %d\n", x != 0);
  return 0;
}
