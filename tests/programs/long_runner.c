// Prints a line and sleeps briefly, N times: used to kill the recorder mid-run.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100;
  for (int i = 0; i < n; ++i) {
    printf("tick %d %ld\n", i, (long)time(NULL));
    fflush(stdout);
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return 0;
}
