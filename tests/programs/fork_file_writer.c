// A forked child opens the file named by argv[1] and writes a line to it; the parent waits for
// it and prints its status (the program strace -f follows in test_syscalls).
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  pid_t c = fork();
  if (c == 0) {
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) _exit(1);
    const char line[] = "written by the child\n";
    _exit(write(fd, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : 1);
  }
  int st = 0;
  waitpid(c, &st, 0);
  printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
