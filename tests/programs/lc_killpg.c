// Signals to the whole process group (kill(0, sig)) with a handler and ignored, with a child
// in the group: the recorder, in the same group, must not be killed or confused.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got[65];
static void on(int s) {
  got[s]++;
}

int main(void) {
  int handled[] = {SIGUSR1, SIGUSR2, SIGINT, SIGALRM, SIGHUP};
  int ignored[] = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGTSTP, SIGTTOU, SIGTTIN, SIGQUIT, SIGPIPE};
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) {  // a group member that only waits
    char x;
    read(p[0], &x, 1);
    _exit(7);
  }
  for (unsigned i = 0; i < sizeof handled / sizeof *handled; ++i) {
    signal(handled[i], on);
    kill(0, handled[i]);
    printf("handled %d: %d\n", handled[i], (int)got[handled[i]]);
  }
  // The child dies of some of them: count what it saw.
  for (unsigned i = 0; i < sizeof ignored / sizeof *ignored; ++i) {
    signal(ignored[i], SIG_IGN);
    kill(0, ignored[i]);
    printf("ignored %d\n", ignored[i]);
  }
  write(p[1], "x", 1);
  int st;
  waitpid(c, &st, 0);
  printf("child: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
  return 0;
}
