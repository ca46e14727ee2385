// Calls the in-process agent buffers, in the situations it must keep deterministic: a read of
// a regular file (argv[1]), two threads making buffered calls in turns (a thread switch between
// two of them), a timer signal arriving while the main thread makes buffered calls in a loop
// (argv[2]; "tight": a loop whose passes look the same).
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;
static void on_alarm(int sig) {
  (void)sig;
  ++ticks;
}

static void* worker(void* arg) {
  long sum = 0;
  for (int i = 0; i < 300; ++i) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sum += getuid() + (ts.tv_nsec & 1);
    if (i % 50 == 0) sched_yield();  // trapped: the other thread may run between two calls
  }
  *(long*)arg = sum;
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  int fd = open(argv[1], O_RDONLY);
  char buf[64] = {0};
  long n = read(fd, buf, sizeof buf - 1);
  struct stat st;
  fstat(fd, &st);
  close(fd);
  printf("read %ld bytes: %s (size %ld)\n", n, buf, (long)st.st_size);

  long a = 0, b = 0;
  pthread_t t1, t2;
  pthread_create(&t1, NULL, worker, &a);
  pthread_create(&t2, NULL, worker, &b);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  printf("threads: %ld %ld\n", a - getuid() * 300, b - getuid() * 300);

  if (argc < 3) return 0;  // argv[2]: also a timer signal among buffered calls
  signal(SIGALRM, on_alarm);
  struct itimerval it = {{0, 500}, {0, 500}};
  setitimer(ITIMER_REAL, &it, NULL);
  long calls = 0;
  if (argv[2][0] == 't') {
    // "tight": nothing on the stack or in registers tells one pass from the next; only the
    // number of buffered calls made before the signal does (kept in memory, off the stack).
    static volatile long tight_calls;
    while (ticks < 3) {
      getppid();
      ++tight_calls;
    }
    calls = tight_calls;
  }
  while (ticks < 3) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct stat s2;
    stat(argv[1], &s2);
    ++calls;
  }
  it.it_value.tv_usec = it.it_interval.tv_usec = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  printf("signals: %d after %ld calls\n", (int)ticks, calls);
  return 0;
}
