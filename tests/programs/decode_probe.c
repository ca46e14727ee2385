// Calls whose text `ckrr events` must print as strace does (tests/e2e/test_events.py runs this
// natively under strace and recorded, and compares the lines after the BEGIN marker). Runs in
// the current directory; every path is relative so both runs print the same.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  int null = open("/dev/null", O_WRONLY);
  if (write(null, "BEGIN", 5) != 5) return 1;

  int fd = open("probe.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  static const char data[] = "hello\nworld\0\1\2 and \"quotes\" \\ and a long tail past 32 bytes";
  if (write(fd, data, sizeof data - 1) < 0) return 1;
  close(fd);

  fd = open("probe.txt", O_RDONLY | O_CLOEXEC);
  struct stat st;
  fstat(fd, &st);
  char buf[128];
  ssize_t n = read(fd, buf, 16);
  n += read(fd, buf, sizeof buf);
  n += read(fd, buf, sizeof buf);  // end of file: ""
  lseek(fd, 6, SEEK_SET);
  pread(fd, buf, 5, 6);
  fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  int copy = dup2(fd, 10);
  close(copy);
  close(fd);
  close(fd);  // EBADF

  access("missing", R_OK);
  stat("probe.txt", &st);
  lstat("nowhere/x", &st);
  symlink("probe.txt", "link");
  char target[64];
  readlink("link", target, sizeof target);
  unlink("link");
  mkdir("d", 0755);
  rmdir("d");
  int p[2];
  pipe2(p, O_CLOEXEC);
  close(p[0]);
  close(p[1]);
  umask(022);
  rename("probe.txt", "renamed.txt");
  unlink("renamed.txt");
  if (write(null, "END", 3) != 3) return 1;
  printf("%zd\n", n);
  return 0;
}
