// A child exits while its parent sleeps in nanosleep, clock_nanosleep and poll with a timeout,
// with SIGCHLD left at its default (ignored) disposition. Traced, the ignored signal still
// interrupts each call, which the kernel then restarts (-ERESTART_RESTARTBLOCK: through
// restart_syscall when native). Prints how each call ended.
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child_exiting_after_ms(int ms) {
  pid_t c = fork();
  if (c == 0) {
    usleep((useconds_t)ms * 1000);
    _exit(3);
  }
  return c;
}

static int reap(pid_t c) {
  int st = 0;
  waitpid(c, &st, 0);
  return WEXITSTATUS(st);
}

int main(void) {
  pid_t c = child_exiting_after_ms(10);
  struct timespec ts = {0, 100000000};
  int r = nanosleep(&ts, NULL);
  printf("nanosleep %d, child %d\n", r, reap(c));
  c = child_exiting_after_ms(10);
  r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
  printf("clock_nanosleep %d, child %d\n", r, reap(c));
  c = child_exiting_after_ms(10);
  int p[2];
  if (pipe(p) != 0) return 2;
  struct pollfd pfd = {p[0], POLLIN, 0};
  r = poll(&pfd, 1, 100);
  printf("poll %d, child %d\n", r, reap(c));
  return 0;
}
