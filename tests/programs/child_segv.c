// A forked child dereferences NULL and dies by SIGSEGV; the parent reaps it and says so.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  printf("forking\n");
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);
    *(volatile int*)0 = 1;
    _exit(0);  // not reached
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) return 3;
  if (WIFSIGNALED(status))
    printf("child killed by signal %d\n", WTERMSIG(status));
  else
    printf("child exited %d\n", WEXITSTATUS(status));
  return 0;
}
