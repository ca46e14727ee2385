// A child writes SIZE bytes to stdout in one write(2), which waits while nobody reads the pipe.
// "parent": the parent kills it with SIGKILL once the pipe is full (the child waits in its write
// then). "outside": the child prints its pid on stderr and someone else kills it. The parent then
// reports how the child ended.
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: kill_writer parent|outside SIZE\n");
    return 2;
  }
  int size = atoi(argv[2]);
  pid_t c = fork();
  if (c == 0) {
    char* buf = malloc(size);
    memset(buf, 'x', size);
    fprintf(stderr, "%d\n", getpid());
    (void)!write(1, buf, size);
    _exit(0);
  }
  if (strcmp(argv[1], "parent") == 0) {
    struct pollfd out = {.fd = 1, .events = POLLOUT};
    for (int i = 0; i < 1000 && poll(&out, 1, 0) == 1; i++) usleep(10000);
    kill(c, SIGKILL);
  }
  int st;
  waitpid(c, &st, 0);
  printf("\nchild ended by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return 0;
}
