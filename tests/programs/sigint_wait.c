// Waits for SIGINT (as from ^C at a terminal) in a loop of sleeps, prints its pid first so a
// test can send it. Deterministic output apart from the pid line.
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_int(int sig) {
  got = sig;
}

int main(void) {
  signal(SIGINT, on_int);
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  int naps = 0;
  while (!got && naps < 3000) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    naps++;
  }
  printf("got signal %d\n", (int)got);
  return got ? 0 : 1;
}
