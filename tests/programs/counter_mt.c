// Counts with threads, for `ckrr restart` of a checkpoint of several threads: three workers
// each count to N, appending "w<k> <i> pid=<getpid()>" to FILE (one O_APPEND fd, under a
// mutex) and sleeping STEP_MS per step; a fourth thread waits in read() on a pipe the main
// thread feeds, so checkpoints find it inside a call. Each worker checks at every step that
// gettid() still answers what it did at its start; the main thread signals worker 0 with
// pthread_kill (tgkill with the tid glibc remembers) at every round. Prints "done N" at the end,
// or what went wrong and exits 1.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { kWorkers = 3 };
static int out_fd, n_steps, pipe_fds[2];
static long step_ms;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int finished, failed;
static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig) {
  (void)sig;
  usr1_count++;
}

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static void* worker(void* arg) {
  int k = (int)(long)arg;
  pid_t tid = (pid_t)syscall(SYS_gettid);
  for (int i = 1; i <= n_steps && !failed; i++) {
    if ((pid_t)syscall(SYS_gettid) != tid) {
      fprintf(stderr, "worker %d: gettid changed from %d to %d\n", k, (int)tid,
              (int)syscall(SYS_gettid));
      failed = 1;
      break;
    }
    char line[64];
    int len = snprintf(line, sizeof line, "w%d %d pid=%d\n", k, i, (int)getpid());
    pthread_mutex_lock(&lock);
    ssize_t w = write(out_fd, line, (size_t)len);
    pthread_mutex_unlock(&lock);
    if (w != len) failed = 1;
    nap_ms(step_ms);
  }
  finished++;
  return NULL;
}

static void* reader(void* arg) {
  (void)arg;
  char c = 0;
  while (c != 'q')
    if (read(pipe_fds[0], &c, 1) != 1) break;
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: counter_mt FILE N [STEP_MS]\n");
    return 2;
  }
  n_steps = atoi(argv[2]);
  step_ms = argc > 3 ? atol(argv[3]) : 10;
  out_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0 || pipe(pipe_fds) != 0) return 2;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  pthread_t w[kWorkers], r;
  pthread_create(&r, NULL, reader, NULL);
  for (long k = 0; k < kWorkers; k++) pthread_create(&w[k], NULL, worker, (void*)k);
  while (finished < kWorkers) {
    nap_ms(step_ms * 2);
    int e = pthread_kill(w[0], SIGUSR1);
    if (e != 0 && finished == 0) {
      fprintf(stderr, "pthread_kill: %s\n", strerror(e));
      failed = 1;
    }
    if (write(pipe_fds[1], "x", 1) != 1) failed = 1;
  }
  for (int k = 0; k < kWorkers; k++) pthread_join(w[k], NULL);
  if (write(pipe_fds[1], "q", 1) != 1) return 1;
  pthread_join(r, NULL);
  if (failed) return 1;
  printf("done %d\n", n_steps);
  return 0;
}
