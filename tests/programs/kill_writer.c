// A child writes SIZE bytes to stdout in one write(2), which waits while nobody reads the pipe.
// "parent": the parent kills it with SIGKILL after 100 ms. "outside": the child prints its pid on
// stderr and someone else kills it. The parent then reports how the child ended.
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
    usleep(100000);
    kill(c, SIGKILL);
  }
  int st;
  waitpid(c, &st, 0);
  printf("\nchild ended by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return 0;
}
