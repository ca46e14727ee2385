// A parent and its child connected by a pipe, counting to N: the parent writes "i\n" into the
// pipe at each step (sleeping a little), the child reads the numbers and appends
// "i ppid=<getppid()>" to FILE (O_APPEND), then exits with status 7 at end of file. The parent
// then reaps it with wait4 and prints "done N child=<pid from wait4> fork=<pid from fork>
// status=<exit status>". `ckrr restart` of the pair (recorder and both SIGKILLed) must finish
// the count with every line once, the recorded parent's pid on every line, and the wait4 of the
// recorded child. With "socket" as 4th argument they talk over a unix socketpair instead.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int child(int rfd, const char* path) {
  FILE* in = fdopen(rfd, "r");
  int out = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (!in || out < 0) return 2;
  char line[64];
  while (fgets(line, sizeof line, in)) {
    char buf[96];
    int n = snprintf(buf, sizeof buf, "%d ppid=%d\n", atoi(line), (int)getppid());
    if (write(out, buf, (size_t)n) != n) return 3;
  }
  return 7;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: pipe_tree FILE N [STEP_MS [socket]]\n");
    return 2;
  }
  const int n = atoi(argv[2]);
  const int step_ms = argc > 3 ? atoi(argv[3]) : 20;
  const int use_socket = argc > 4 && strcmp(argv[4], "socket") == 0;
  int p[2];  // p[0]: the child's end, p[1]: the parent's
  if (use_socket ? socketpair(AF_UNIX, SOCK_STREAM, 0, p) != 0 : pipe(p) != 0) return 2;
  pid_t c = fork();
  if (c == 0) {
    close(p[1]);
    return child(p[0], argv[1]);
  }
  close(p[0]);
  printf("parent %d child %d\n", (int)getpid(), (int)c);
  fflush(stdout);
  for (int i = 1; i <= n; ++i) {
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%d\n", i);
    if (write(p[1], buf, (size_t)len) != len) return 4;
    struct timespec ts = {0, step_ms * 1000000L};
    nanosleep(&ts, NULL);
  }
  close(p[1]);
  int status = 0;
  struct rusage ru;
  pid_t w = wait4(-1, &status, 0, &ru);
  printf("done %d child=%d fork=%d status=%d\n", n, (int)w, (int)c,
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
