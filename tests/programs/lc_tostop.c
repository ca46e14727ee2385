// On a terminal with TOSTOP: a process in a background group that writes to the terminal gets
// SIGTTOU and stops; its parent sees it stopped, brings it back (SIGCONT after putting it in
// the foreground), and the write goes through. Run on a pty.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
  struct termios t;
  if (tcgetattr(1, &t) != 0) {
    printf("not a terminal\n");
    return 2;
  }
  t.c_lflag |= TOSTOP;
  tcsetattr(1, TCSANOW, &t);
  pid_t c = fork();
  if (c == 0) {
    setpgid(0, 0);
    write(1, "background write\n", 17);
    _exit(4);
  }
  setpgid(c, c);
  int st;
  waitpid(c, &st, WUNTRACED);
  printf("parent: %s %d\n", WIFSTOPPED(st) ? "stopped" : "not stopped",
         WIFSTOPPED(st) ? WSTOPSIG(st) : 0);
  fflush(stdout);
  signal(SIGTTOU, SIG_IGN);
  tcsetpgrp(1, c);
  kill(c, SIGCONT);
  waitpid(c, &st, 0);
  tcsetpgrp(1, getpgrp());
  printf("parent: child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
