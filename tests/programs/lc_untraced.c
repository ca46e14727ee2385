// A child created with CLONE_UNTRACED (which a tracer must not lose: it would run with the
// recording's seccomp filter and no tracer) writes a line and exits with status 5.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(void* arg) {
  (void)arg;
  printf("untraced child: pid differs from parent %d\n", getpid() != getppid());
  fflush(stdout);
  return 5;
}

int main(void) {
  size_t sz = 64 * 1024;
  char* stack = malloc(sz);
  pid_t c = clone(child, stack + sz, CLONE_UNTRACED | SIGCHLD, NULL);
  int st;
  waitpid(c, &st, 0);
  printf("parent: child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
  return 0;
}
