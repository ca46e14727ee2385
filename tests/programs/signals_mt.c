// Signals in a multi-threaded process, one case after the other, each printing one
// deterministic line:
//  - SIGSEGV with a handler that siglongjmps out of the fault;
//  - SIGFPE from an integer division by zero, handled the same way;
//  - a handler run on an alternate stack (sigaltstack + SA_ONSTACK);
//  - a signal blocked with pthread_sigmask, pending, then delivered on unblocking;
//  - pthread_kill (tgkill) to another thread, handled in that thread;
//  - a thread blocked in read() on a pipe, interrupted by a signal with SA_RESTART (the read
//    goes on and returns the data written later) and without it (the read fails with EINTR);
//  - a SIGUSR1 read from a signalfd;
//  - a queued SIGUSR2 taken with sigwaitinfo;
//  - alarm() waking pause().
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf jump;
static volatile sig_atomic_t fault_code;
static volatile uintptr_t fault_addr;
static volatile sig_atomic_t usr1_count, alrm_count;
static volatile pid_t usr1_tid;
static volatile int usr1_on_altstack;
static char* altstack_lo;
static char* altstack_hi;

static void on_fault(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  fault_code = si->si_code;
  fault_addr = (uintptr_t)si->si_addr;
  siglongjmp(jump, 1);
}

static void on_usr1(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)si;
  (void)uc;
  char here;
  usr1_count++;
  usr1_tid = gettid();
  usr1_on_altstack = altstack_lo && &here >= altstack_lo && &here < altstack_hi;
}

static void on_alrm(int sig) {
  (void)sig;
  alrm_count++;
}

static void handle(int sig, void (*fn)(int, siginfo_t*, void*), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigaction(sig, &sa, NULL);
}

static void sleep_ms(long ms) {
  struct timespec ts = {0, ms * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// True when thread `tid` sleeps in the kernel (state S in /proc/self/task/TID/stat).
static int thread_sleeping(pid_t tid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char* close_paren = strrchr(buf, ')');
  return close_paren && close_paren[1] == ' ' && close_paren[2] == 'S';
}

// ---- a thread blocked in read(), interrupted by SIGUSR1 ----
struct reader {
  int fd;
  atomic_int about_to_read, done;
  pid_t tid;
  ssize_t result;
  int err;
  char data[16];
};

static void* reader_main(void* arg) {
  struct reader* r = arg;
  r->tid = gettid();
  atomic_store(&r->about_to_read, 1);
  r->result = read(r->fd, r->data, sizeof r->data - 1);
  r->err = errno;
  atomic_store(&r->done, 1);
  return NULL;
}

static void wait_blocked_in_read(struct reader* r) {
  while (!atomic_load(&r->about_to_read) || !thread_sleeping(r->tid)) sleep_ms(1);
}

static void read_interrupted(int restart) {
  handle(SIGUSR1, on_usr1, restart ? SA_RESTART : 0);
  int p[2];
  if (pipe(p) != 0) exit(20);
  struct reader r;
  memset(&r, 0, sizeof r);
  r.fd = p[0];
  r.tid = 0;
  pthread_t th;
  pthread_create(&th, NULL, reader_main, &r);
  while (!atomic_load(&r.about_to_read)) sleep_ms(1);
  int before = usr1_count;
  if (restart) {
    // Interrupt the blocked read until the handler has run in the reader, then write: the
    // restarted read returns the data.
    while (usr1_count == before) {
      wait_blocked_in_read(&r);
      pthread_kill(th, SIGUSR1);
      sleep_ms(2);
    }
    wait_blocked_in_read(&r);
    if (write(p[1], "hello", 5) != 5) exit(21);
  } else {
    // Keep interrupting until the read gives up (a signal that came just before the read
    // began would leave it blocked).
    while (!atomic_load(&r.done)) {
      wait_blocked_in_read(&r);
      pthread_kill(th, SIGUSR1);
      sleep_ms(2);
    }
  }
  pthread_join(th, NULL);
  printf("read %s SA_RESTART: result %zd %s%s%s handler ran in reader %d\n",
         restart ? "with" : "without", r.result, r.result < 0 ? strerror(r.err) : "'",
         r.result > 0 ? r.data : "", r.result < 0 ? "" : "'", usr1_tid == r.tid);
  close(p[0]);
  close(p[1]);
}

// ---- pthread_kill to a thread waiting in sigsuspend ----
static atomic_int target_ready;
static volatile pid_t target_tid;

static void* target_main(void* arg) {
  (void)arg;
  sigset_t block, wait_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &block, &wait_mask);  // so the signal waits for sigsuspend
  sigdelset(&wait_mask, SIGUSR1);
  target_tid = gettid();
  atomic_store(&target_ready, 1);
  int before = usr1_count;
  while (usr1_count == before) sigsuspend(&wait_mask);
  return NULL;
}

// ---- sigwaitinfo: a helper thread queues SIGUSR2 with a value ----
static void* queue_usr2(void* arg) {
  (void)arg;
  union sigval v;
  v.sival_int = 42;
  sigqueue(getpid(), SIGUSR2, v);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  // 1. SIGSEGV, handled, siglongjmp out.
  handle(SIGSEGV, on_fault, SA_NODEFER);
  if (sigsetjmp(jump, 1) == 0) {
    *(volatile int*)16 = 1;
    printf("segv: no fault\n");
  } else {
    printf("segv: handled, code %s addr %#lx\n", fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "?",
           (unsigned long)fault_addr);
  }

  // 2. SIGFPE from an integer division by zero.
  handle(SIGFPE, on_fault, SA_NODEFER);
  volatile int zero = 0, result = 0;
  if (sigsetjmp(jump, 1) == 0) {
    result = 100 / zero;
    printf("sigfpe: no fault (%d)\n", result);
  } else {
    printf("sigfpe: handled, code %s\n", fault_code == FPE_INTDIV ? "FPE_INTDIV" : "?");
  }

  // 3. A handler on an alternate stack.
  stack_t ss;
  ss.ss_size = 64 * 1024;
  ss.ss_sp = malloc(ss.ss_size);
  ss.ss_flags = 0;
  altstack_lo = ss.ss_sp;
  altstack_hi = altstack_lo + ss.ss_size;
  if (sigaltstack(&ss, NULL) != 0) return 2;
  handle(SIGUSR1, on_usr1, SA_ONSTACK);
  raise(SIGUSR1);
  printf("sigaltstack: handler ran %d time(s), on the alternate stack %d\n", (int)usr1_count,
         usr1_on_altstack);
  altstack_lo = altstack_hi = NULL;

  // 4. Blocked, pending, delivered on unblocking.
  handle(SIGUSR1, on_usr1, 0);
  sigset_t usr1_set, pending;
  sigemptyset(&usr1_set);
  sigaddset(&usr1_set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1_set, NULL);
  int before = usr1_count;
  raise(SIGUSR1);
  sigpending(&pending);
  int while_blocked = usr1_count - before, was_pending = sigismember(&pending, SIGUSR1);
  pthread_sigmask(SIG_UNBLOCK, &usr1_set, NULL);
  printf("blocked: ran %d while blocked, pending %d, ran %d after unblocking\n", while_blocked,
         was_pending, (int)(usr1_count - before));

  // 5. pthread_kill to another thread.
  pthread_t target;
  pthread_create(&target, NULL, target_main, NULL);
  while (!atomic_load(&target_ready)) sleep_ms(1);
  pthread_kill(target, SIGUSR1);
  pthread_join(target, NULL);
  printf("pthread_kill: handled in the target thread %d, not in main %d\n",
         usr1_tid == target_tid, usr1_tid != gettid());

  // 6. read() in a thread interrupted by a signal, with and without SA_RESTART.
  read_interrupted(1);
  read_interrupted(0);

  // 7. signalfd.
  handle(SIGUSR1, on_usr1, 0);
  pthread_sigmask(SIG_BLOCK, &usr1_set, NULL);
  int sfd = signalfd(-1, &usr1_set, SFD_CLOEXEC);
  if (sfd < 0) return 3;
  before = usr1_count;
  raise(SIGUSR1);
  struct signalfd_siginfo ssi;
  ssize_t n = read(sfd, &ssi, sizeof ssi);
  printf("signalfd: read %zd bytes, signal %u, from self %d, handler ran %d\n", n, ssi.ssi_signo,
         (pid_t)ssi.ssi_pid == getpid(), (int)(usr1_count - before));
  close(sfd);
  pthread_sigmask(SIG_UNBLOCK, &usr1_set, NULL);

  // 8. sigwaitinfo on a SIGUSR2 queued by another thread (blocked everywhere: the helper
  //    inherits main's mask).
  sigset_t usr2_set;
  sigemptyset(&usr2_set);
  sigaddset(&usr2_set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2_set, NULL);
  pthread_t helper;
  pthread_create(&helper, NULL, queue_usr2, NULL);
  siginfo_t si;
  int got;
  do got = sigwaitinfo(&usr2_set, &si);
  while (got < 0 && errno == EINTR);
  pthread_join(helper, NULL);
  printf("sigwaitinfo: signal %d, code %s, value %d, from self %d\n", got,
         si.si_code == SI_QUEUE ? "SI_QUEUE" : "?", si.si_value.sival_int, si.si_pid == getpid());

  // 9. alarm() wakes pause().
  signal(SIGALRM, on_alrm);
  alarm(1);
  int r = pause();
  printf("alarm: pause returned %d (%s), handler ran %d\n", r, strerror(errno), (int)alrm_count);
  return 0;
}
