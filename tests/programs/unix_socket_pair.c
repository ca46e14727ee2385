// socketpair + fork: parent and child exchange 100 messages each way over an AF_UNIX stream
// pair (a request, then its reply); both sides check the contents; the parent prints totals.
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MESSAGES 100

static int read_full(int fd, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) return -1;
    got += r;
  }
  return 0;
}

int main(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 2;
  pid_t pid = fork();
  if (pid < 0) return 3;
  if (pid == 0) {  // child: answer each request with its number doubled
    close(sv[0]);
    char msg[32];
    long sum = 0;
    for (int i = 0; i < MESSAGES; i++) {
      if (read_full(sv[1], msg, sizeof msg) != 0) _exit(10);
      int n;
      if (sscanf(msg, "request %d", &n) != 1 || n != i) _exit(11);
      sum += n;
      memset(msg, 0, sizeof msg);
      snprintf(msg, sizeof msg, "reply %d", 2 * n);
      if (write(sv[1], msg, sizeof msg) != sizeof msg) _exit(12);
    }
    _exit(sum == MESSAGES * (MESSAGES - 1) / 2 ? 0 : 13);
  }
  close(sv[1]);
  long sent = 0, received = 0, sum = 0;
  char msg[32];
  for (int i = 0; i < MESSAGES; i++) {
    memset(msg, 0, sizeof msg);
    snprintf(msg, sizeof msg, "request %d", i);
    if (write(sv[0], msg, sizeof msg) != sizeof msg) return 4;
    sent += sizeof msg;
    if (read_full(sv[0], msg, sizeof msg) != 0) return 5;
    received += sizeof msg;
    int v;
    if (sscanf(msg, "reply %d", &v) != 1 || v != 2 * i) return 6;
    sum += v;
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) return 7;
  printf("messages %d, bytes sent %ld, received %ld, sum of replies %ld, child exit %d\n",
         MESSAGES, sent, received, sum, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
