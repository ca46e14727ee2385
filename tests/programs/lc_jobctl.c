// Job control seen by a parent: a child (or one of its threads) stops itself with SIGSTOP or
// SIGTSTP; the parent sees it stopped (WUNTRACED), sends SIGCONT, sees it continued
// (WCONTINUED), and the child ends normally.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t conts;
static void on_cont(int s) {
  (void)s;
  conts++;
}

static void* stopper(void* arg) {
  kill(getpid(), *(int*)arg);
  return NULL;
}

static int go[2];  // the child ends only once the parent has seen it continue

static void child(int sig, int from_thread) {
  // Its own process group, whose parent is in the session: not orphaned, so SIGTSTP stops it
  // (an orphaned group's SIGTSTP is discarded).
  setpgid(0, 0);
  signal(SIGCONT, on_cont);
  if (from_thread) {
    pthread_t t;
    pthread_create(&t, NULL, stopper, &sig);
    pthread_join(t, NULL);
  } else {
    raise(sig);
  }
  int seen = conts;
  char x;
  read(go[0], &x, 1);
  printf("child %d: resumed, SIGCONT handled %d\n", sig, seen);
  fflush(stdout);
  _exit(3);
}

static void round_(int sig, int from_thread) {
  pipe(go);
  pid_t c = fork();
  if (c == 0) child(sig, from_thread);
  int st;
  pid_t r = waitpid(c, &st, WUNTRACED);
  printf("parent: %d %s sig %d\n", r == c, WIFSTOPPED(st) ? "stopped" : "not stopped",
         WIFSTOPPED(st) ? WSTOPSIG(st) : 0);
  fflush(stdout);
  kill(c, SIGCONT);
  r = waitpid(c, &st, WCONTINUED);
  printf("parent: %d %s\n", r == c, WIFCONTINUED(st) ? "continued" : "not continued");
  fflush(stdout);
  write(go[1], "x", 1);
  r = waitpid(c, &st, 0);
  printf("parent: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  fflush(stdout);
  close(go[0]);
  close(go[1]);
}

int main(void) {
  round_(SIGSTOP, 0);
  round_(SIGTSTP, 0);
  round_(SIGSTOP, 1);
  return 0;
}
