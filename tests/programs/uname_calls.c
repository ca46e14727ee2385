// Calls uname N times, a little apart (so that checkpoints fall between calls), printing the
// domainname each time: the example plugin (examples/plugin) numbers the calls there.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <time.h>

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  for (int i = 1; i <= n; ++i) {
    struct utsname u;
    if (uname(&u) != 0) return 1;
    printf("call %d domain %s\n", i, u.domainname);
    fflush(stdout);
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  printf("done %d\n", n);
  return 0;
}
