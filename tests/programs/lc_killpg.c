// Signals to the whole process group (kill(0, sig)) with a handler and ignored, with a child
// in the group: the recorder, in the same group, must not be killed or confused. SIGTSTP,
// SIGTTIN and SIGTTOU are sent only while ignored (natively they would stop the group).
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
  // The child in the group handles all of them (a fatal one would kill a traced child by the
  // lowest pending number, natively by the first sent: a ptrace limit, not tested here).
  for (unsigned i = 0; i < sizeof handled / sizeof *handled; ++i) signal(handled[i], on);
  for (unsigned i = 0; i < sizeof ignored / sizeof *ignored; ++i) signal(ignored[i], on);
  pid_t c = fork();
  if (c == 0) {  // a group member that waits until the parent is done
    char x;
    while (read(p[0], &x, 1) != 1) {
    }
    int n = 0;
    for (int s = 1; s < 65; ++s) n += got[s] > 0;
    printf("child: got %d kinds\n", n);
    fflush(stdout);
    _exit(7);
  }
  for (unsigned i = 0; i < sizeof handled / sizeof *handled; ++i) {
    kill(0, handled[i]);
    printf("handled %d: %d\n", handled[i], (int)got[handled[i]]);
  }
  // The child dies of some of them: count what it saw.
  for (unsigned i = 0; i < sizeof ignored / sizeof *ignored; ++i) {
    signal(ignored[i], SIG_IGN);
    kill(0, ignored[i]);
    printf("ignored %d\n", ignored[i]);
  }
  fflush(stdout);
  write(p[1], "x", 1);
  int st;
  waitpid(c, &st, 0);
  printf("child: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
  return 0;
}
