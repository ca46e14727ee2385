// Signals to itself (raise, kill), a handled SIGPIPE from writing to a pipe with no reader, and
// a handled SIGSEGV that the handler recovers from with siglongjmp.
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t usr1, usr2, pipes, segv;
static sigjmp_buf env;

static void on_usr1(int s) {
  (void)s;
  usr1++;
}
static void on_usr2(int s) {
  (void)s;
  usr2 += 10;
}
static void on_pipe(int s) {
  (void)s;
  pipes++;
}
static void on_segv(int s) {
  (void)s;
  segv++;
  siglongjmp(env, 1);
}

int main(void) {
  signal(SIGUSR1, on_usr1);
  signal(SIGUSR2, on_usr2);
  signal(SIGPIPE, on_pipe);
  signal(SIGSEGV, on_segv);
  raise(SIGUSR1);
  kill(getpid(), SIGUSR2);
  int p[2];
  if (pipe(p) != 0) return 2;
  close(p[0]);
  ssize_t w = write(p[1], "x", 1);
  int err = errno;
  if (sigsetjmp(env, 1) == 0) *(volatile int*)8 = 1;
  printf("usr1 %d usr2 %d sigpipe %d write %zd %s segv %d at %ld\n", (int)usr1, (int)usr2,
         (int)pipes, w, strerror(err), (int)segv, (long)time(NULL));
  return 7;
}
