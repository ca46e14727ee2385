// Counts the SIGCHLDs a parent gets while its one child works (a hundred short sleeps) and
// then exits: exactly one natively. A recorder that made the child's checkpoint copies the
// parent's children too would show more.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t sigchld_count;

static void on_chld(int sig) {
  (void)sig;
  sigchld_count++;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    struct timespec ts = {0, 1000000};
    for (int i = 0; i < 100; i++) nanosleep(&ts, NULL);
    _exit(0);
  }
  int st = 0;
  while (waitpid(child, &st, 0) < 0) {
  }
  printf("sigchld=%d\n", (int)sigchld_count);
  return 0;
}
