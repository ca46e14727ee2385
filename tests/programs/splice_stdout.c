// Moves a line from a pipe to stdout with splice(2), and another with tee(2) and a read, falling
// back to read/write when the kernel refuses (as it does for fds that cannot splice). The data
// never passes through the app's memory when the call works, so ckrr refuses it for its stdout.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void move_line(int use_tee, const char* line) {
  int p[2], q[2];
  if (pipe(p) || pipe(q)) return;
  size_t n = strlen(line);
  if (write(p[1], line, n) != (ssize_t)n) return;
  ssize_t done = use_tee ? tee(p[0], 1, n, 0) : splice(p[0], NULL, 1, NULL, n, 0);
  if (done < 0) {
    char buf[128];
    ssize_t got = read(p[0], buf, sizeof buf);
    if (got > 0 && write(1, buf, got) != got) return;
  }
  close(p[0]);
  close(p[1]);
  close(q[0]);
  close(q[1]);
}

int main(void) {
  printf("first\n");
  fflush(stdout);
  move_line(0, "moved by splice\n");
  move_line(1, "copied by tee\n");
  printf("last\n");
  return 0;
}
