// A daemon: fork, setsid, fork again; the first child exits at once and the main program ends
// after waiting for it. The daemon writes a line to the file named by argv[1], closes its
// standard streams and then either ends ("finish") or blocks in read forever ("block").
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const char* out = argv[1];
  int block = argc > 2 && strcmp(argv[2], "block") == 0;
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    setsid();
    if (fork() == 0) {
      int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dprintf(fd, "daemon in its own session: %d\n", getsid(0) == getpid() ? 0 : 1);
      close(fd);
      close(0);
      close(1);
      close(2);
      if (block) {
        char x;
        read(p[0], &x, 1);  // nobody writes: p[1] stays open here
      }
      _exit(0);
    }
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("main: first child exit %d\n", WEXITSTATUS(st));
  return 0;
}
