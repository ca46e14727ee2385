// A second thread with its own alternate signal stack, raising a signal to itself between
// short sleeps while the main thread sleeps and wakes too. Each handler run says whether it
// ran on that stack; the line's length differs, so a replay whose thread lost its alternate
// stack (a checkpoint taken while the thread slept and restored without it) diverges at the
// write. Prints the count of handler runs that were on the alternate stack.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { kRounds = 40 };
static char* alt_lo;
static char* alt_hi;
static int on_alt_count;

static void nap_us(long us) {
  struct timespec ts = {0, us * 1000};
  nanosleep(&ts, NULL);
}

static void on_usr1(int sig) {
  (void)sig;
  char here;
  int on_alt = &here >= alt_lo && &here < alt_hi;
  on_alt_count += on_alt;
  static const char yes[] = "handler on the alternate stack\n";
  static const char no[] = "handler off it\n";
  if (on_alt)
    write(1, yes, sizeof yes - 1);
  else
    write(1, no, sizeof no - 1);
}

static void* worker(void* arg) {
  (void)arg;
  size_t size = 64 * 1024;
  alt_lo = malloc(size);
  alt_hi = alt_lo + size;
  stack_t ss = {.ss_sp = alt_lo, .ss_size = size, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) exit(2);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &sa, NULL);
  for (int i = 0; i < kRounds; i++) {
    nap_us(3000);  // waiting: a checkpoint now saves this thread from what ckrr knows of it
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
  }
  return NULL;
}

int main(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) return 1;
  for (int i = 0; i < kRounds; i++) nap_us(2000);  // the capturing thread, now and then
  pthread_join(t, NULL);
  printf("%d of %d on the alternate stack\n", on_alt_count, kRounds);
  return on_alt_count == kRounds ? 0 : 3;
}
