// Prints a line, then sends itself SIGTERM with the default disposition: the process dies by
// the signal (a shell, and ckrr, report exit status 128 + 15 = 143).
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("about to be terminated\n");
  fflush(stdout);
  signal(SIGTERM, SIG_DFL);
  kill(getpid(), SIGTERM);
  pause();  // the signal is delivered on the way out of kill; not reached
  printf("still alive\n");
  return 1;
}
