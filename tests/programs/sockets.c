// A TCP connection to itself over loopback (ephemeral port: differs between runs), a
// socketpair, and poll. Replay needs no network: the data comes from the trace.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, (struct sockaddr*)&a, sizeof a) || listen(l, 1)) return 2;
  socklen_t len = sizeof a;
  getsockname(l, (struct sockaddr*)&a, &len);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr*)&a, sizeof a)) return 3;
  int s = accept(l, NULL, NULL);
  const char msg[] = "hello over loopback";
  send(c, msg, sizeof msg, 0);
  struct pollfd pf = {s, POLLIN, 0};
  int ready = poll(&pf, 1, 1000);
  char buf[64] = {0};
  ssize_t n = recv(s, buf, sizeof buf, 0);
  int sp[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
  write(sp[0], "pair", 4);
  char b2[8] = {0};
  read(sp[1], b2, sizeof b2);
  printf("port %d ready %d got %zd '%s' pair '%s'\n", ntohs(a.sin_port), ready, n, buf, b2);
  return 0;
}
