// Counts to N: appends "i pid=<getpid()>" to FILE (opened once, O_APPEND) and prints progress,
// sleeping a little at each step. `ckrr restart` must finish the count after the recorder was
// killed: the file must then hold every line once, all with the recorded pid.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: counter FILE N [STEP_MS]\n");
    return 2;
  }
  int n = atoi(argv[2]);
  long step_ms = argc > 3 ? atol(argv[3]) : 10;
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  for (int i = 1; i <= n; ++i) {
    char line[64];
    int len = snprintf(line, sizeof line, "%d pid=%d\n", i, (int)getpid());
    if (write(fd, line, (size_t)len) != len) {
      perror("write");
      return 1;
    }
    printf("count %d\n", i);
    fflush(stdout);
    struct timespec ts = {0, step_ms * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  printf("done %d\n", n);
  close(fd);
  return 0;
}
