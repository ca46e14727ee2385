// Children killed by SIGKILL at arbitrary moments, by their parent or by a sibling process,
// while they make syscalls in a tight loop (some with threads doing the same). The output only
// depends on the count: every child must end killed by signal 9.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void* spin_syscalls(void* arg) {
  (void)arg;
  for (;;) getppid();
  return NULL;
}

static void victim(int i) {
  if (i % 10 == 3) {
    pthread_t t;
    pthread_create(&t, NULL, spin_syscalls, NULL);
    pthread_create(&t, NULL, spin_syscalls, NULL);
  }
  volatile unsigned long n = 0;
  for (;;) {
    getpid();
    if (i % 4 == 1) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
    }
    for (int k = 0; k < (i % 5) * 100; ++k) n += k;  // some app code between the calls
  }
}

static void pause_a_little(unsigned r) {
  // A deterministic, varying delay: a few syscalls, and sometimes a short sleep.
  for (unsigned k = 0; k < r % 13; ++k) getppid();
  if (r % 3 == 0) {
    struct timespec ts = {0, (long)(r % 200) * 1000};
    nanosleep(&ts, NULL);
  }
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200;
  srand(42);
  int killed = 0, other = 0;
  for (int i = 0; i < n; ++i) {
    pid_t c = fork();
    if (c == 0) victim(i);
    unsigned r = (unsigned)rand();
    pid_t killer = 0;
    if (i % 2 == 0) {
      pause_a_little(r);
      kill(c, SIGKILL);
    } else {
      // Another process kills it.
      killer = fork();
      if (killer == 0) {
        pause_a_little(r);
        kill(c, SIGKILL);
        _exit(0);
      }
    }
    int st;
    waitpid(c, &st, 0);
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
      ++killed;
    else
      ++other, printf("child %d: status 0x%x\n", i, st);
    if (killer) waitpid(killer, &st, 0);
  }
  printf("killed %d other %d\n", killed, other);
  return 0;
}
