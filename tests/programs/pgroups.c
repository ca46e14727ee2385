// Process groups and sessions: children in their own group and session, a signal to a whole
// group, exec after fork, and SIGPIPE from a closed pipe. Deterministic output.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char* what, int st) {
  if (WIFEXITED(st))
    printf("%s exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    printf("%s killed by signal %d\n", what, WTERMSIG(st));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  // A new session: the child leads it and its own group.
  pid_t s = fork();
  if (s == 0) _exit(setsid() == getpid() && getsid(0) == getpid() && getpgrp() == getpid() ? 0 : 1);
  int st;
  waitpid(s, &st, 0);
  report("session leader", st);

  // Two children in one new group; one kill() reaches both.
  int ready[2];
  if (pipe(ready) != 0) return 1;
  pid_t a = fork();
  if (a == 0) {
    setpgid(0, 0);
    write(ready[1], "a", 1);
    for (;;) pause();
  }
  setpgid(a, a);
  pid_t b = fork();
  if (b == 0) {
    setpgid(0, a);
    write(ready[1], "b", 1);
    for (;;) pause();
  }
  setpgid(b, a);
  char c;
  read(ready[0], &c, 1);
  read(ready[0], &c, 1);
  printf("group of b is a's: %d\n", getpgid(b) == a);
  kill(-a, SIGTERM);
  waitpid(a, &st, 0);
  report("group member a", st);
  waitpid(b, &st, 0);
  report("group member b", st);

  // Exec after fork, and SIGPIPE: the writer's reader is gone.
  int p[2];
  if (pipe(p) != 0) return 1;
  pid_t w = fork();
  if (w == 0) {
    close(p[0]);
    signal(SIGPIPE, SIG_DFL);
    sleep(0);
    for (int i = 0; i < 100000; i++) write(p[1], "x", 1);
    _exit(0);
  }
  close(p[1]);
  close(p[0]);
  waitpid(w, &st, 0);
  report("writer to a closed pipe", st);
  pid_t e = fork();
  if (e == 0) {
    execl("/bin/sh", "sh", "-c", "exit 7", (char*)NULL);
    _exit(127);
  }
  waitpid(e, &st, 0);
  report("exec'd shell", st);
  return 0;
}
