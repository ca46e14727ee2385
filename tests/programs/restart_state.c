// A program that runs N steps (about 10 ms each) and checks, at every step, one piece of
// process state that `ckrr restart` must bring back. It prints "step i" per step, "done N" at
// the end, and "ERROR ..." (exit 1) the moment the state is wrong, so that a restarted run
// shows whether it went on correctly.
//   timer     a POSIX timer (SIGEV_SIGNAL, SIGRTMIN, 2 ms period) whose ticks are counted;
//             timer_gettime and timer_getoverrun must keep working and the ticks keep coming
//   rlimit    RLIMIT_NOFILE and RLIMIT_CORE lowered at start must stay what was set
//   sigpend   SIGUSR1 sent to the process and SIGUSR2 to the thread while both are blocked:
//             pending at every step, received once each when unblocked at the end
//   deleted   a file opened, unlinked, appended to at every step: its contents read back
//             must be every line written so far, its offset where it was
//   poll | ppoll | select | pselect | epoll   each step waits in that call, without a timeout,
//             for a timerfd (700 ms period; epoll: watched by an epoll instance) to fire
//   forkexec  each step forks a child that execs /bin/true and waits for it
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks, usr1, usr2;

static void on_tick(int sig) {
  (void)sig;
  ticks++;
}
static void on_usr(int sig) {
  if (sig == SIGUSR1)
    usr1++;
  else
    usr2++;
}

#define FAIL(...)                 \
  do {                            \
    printf("ERROR step %d: ", i); \
    printf(__VA_ARGS__);          \
    printf("\n");                 \
    fflush(stdout);               \
    return 1;                     \
  } while (0)

static void sleep_ms(long ms) {
  struct timespec ts = {0, ms * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: restart_state MODE N\n");
    return 2;
  }
  const char* mode = argv[1];
  int n = atoi(argv[2]);
  int i = 0;
  timer_t timer;
  int dfd = -1;
  char expect[1 << 16];
  size_t expect_len = 0;
  const int waits = !strcmp(mode, "poll") || !strcmp(mode, "ppoll") || !strcmp(mode, "select") ||
                    !strcmp(mode, "pselect") || !strcmp(mode, "epoll");
  int tfd = -1, ep = -1;
  sigset_t usrs;
  sigemptyset(&usrs);
  sigaddset(&usrs, SIGUSR1);
  sigaddset(&usrs, SIGUSR2);

  if (!strcmp(mode, "timer")) {
    signal(SIGRTMIN, on_tick);
    struct sigevent sev = {0};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    sev.sigev_value.sival_int = 42;
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0) FAIL("timer_create");
    struct itimerspec its = {{0, 2000000}, {0, 2000000}};
    if (timer_settime(timer, 0, &its, NULL) != 0) FAIL("timer_settime");
  } else if (!strcmp(mode, "rlimit")) {
    struct rlimit nofile = {200, 300}, core = {4096, 8192};
    if (setrlimit(RLIMIT_NOFILE, &nofile) || setrlimit(RLIMIT_CORE, &core)) FAIL("setrlimit");
  } else if (!strcmp(mode, "sigpend")) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigprocmask(SIG_BLOCK, &usrs, NULL);
    kill(getpid(), SIGUSR1);  // pending for the process
    raise(SIGUSR2);           // pending for this thread
  } else if (waits) {
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = {{0, 700000000}, {0, 700000000}};
    if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) != 0) FAIL("timerfd");
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234567800000000ull + tfd};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) != 0) FAIL("epoll");
  } else if (!strcmp(mode, "deleted")) {
    char path[] = "/tmp/ckrr-restart-deleted-XXXXXX";
    dfd = mkstemp(path);
    if (dfd < 0 || unlink(path) != 0) FAIL("mkstemp/unlink");
  }

  for (i = 1; i <= n; ++i) {
    if (!strcmp(mode, "timer")) {
      int before = ticks;
      struct itimerspec cur;
      if (timer_getoverrun(timer) < 0) FAIL("timer_getoverrun: %s", strerror(errno));
      if (timer_gettime(timer, &cur) != 0) FAIL("timer_gettime: %s", strerror(errno));
      if (cur.it_interval.tv_nsec != 2000000) FAIL("interval %ld", cur.it_interval.tv_nsec);
      if (cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0) FAIL("timer disarmed");
      sleep_ms(10);
      if (ticks == before) FAIL("no tick in 10 ms");
    } else if (!strcmp(mode, "rlimit")) {
      struct rlimit a, b;
      getrlimit(RLIMIT_NOFILE, &a);
      getrlimit(RLIMIT_CORE, &b);
      if (a.rlim_cur != 200 || a.rlim_max != 300) FAIL("NOFILE %lu/%lu", a.rlim_cur, a.rlim_max);
      if (b.rlim_cur != 4096 || b.rlim_max != 8192) FAIL("CORE %lu/%lu", b.rlim_cur, b.rlim_max);
      sleep_ms(10);
    } else if (!strcmp(mode, "sigpend")) {
      sigset_t p;
      sigpending(&p);
      if (!sigismember(&p, SIGUSR1) || !sigismember(&p, SIGUSR2))
        FAIL("not pending: USR1 %d USR2 %d", sigismember(&p, SIGUSR1), sigismember(&p, SIGUSR2));
      sleep_ms(10);
    } else if (!strcmp(mode, "deleted")) {
      char line[64];
      int len = snprintf(line, sizeof line, "line %d\n", i);
      if (write(dfd, line, len) != len) FAIL("write: %s", strerror(errno));
      memcpy(expect + expect_len, line, len);
      expect_len += len;
      if (lseek(dfd, 0, SEEK_CUR) != (off_t)expect_len) FAIL("offset");
      char back[sizeof expect];
      ssize_t r = pread(dfd, back, sizeof back, 0);
      if (r != (ssize_t)expect_len || memcmp(back, expect, expect_len) != 0)
        FAIL("read back %zd bytes, expected %zu", r, expect_len);
      sleep_ms(10);
    } else if (waits) {
      // Sits in the call until the timerfd fires (no timeout): only an interrupted call lets
      // a checkpoint be taken meanwhile.
      int r = -1;
      if (!strcmp(mode, "poll")) {
        struct pollfd p = {tfd, POLLIN, 0};
        r = poll(&p, 1, -1);
      } else if (!strcmp(mode, "ppoll")) {
        struct pollfd p = {tfd, POLLIN, 0};
        r = ppoll(&p, 1, NULL, NULL);
      } else if (!strcmp(mode, "select") || !strcmp(mode, "pselect")) {
        fd_set s;
        FD_ZERO(&s);
        FD_SET(tfd, &s);
        r = !strcmp(mode, "select") ? select(tfd + 1, &s, NULL, NULL, NULL)
                                    : pselect(tfd + 1, &s, NULL, NULL, NULL, NULL);
      } else {
        struct epoll_event e;
        r = epoll_wait(ep, &e, 1, -1);
        if (r == 1 && e.data.u64 != 0x1234567800000000ull + tfd)
          FAIL("epoll data %llx", (unsigned long long)e.data.u64);
      }
      if (r != 1) FAIL("%s returned %d: %s", mode, r, strerror(errno));
      uint64_t expirations = 0;
      if (read(tfd, &expirations, 8) != 8 || expirations < 1)
        FAIL("timerfd read: %s", strerror(errno));
    } else if (!strcmp(mode, "forkexec")) {
      pid_t c = fork();
      if (c == 0) {
        execl("/bin/true", "true", (char*)NULL);
        _exit(127);
      }
      int st = 0;
      if (c < 0 || waitpid(c, &st, 0) != c) FAIL("fork/wait: %s", strerror(errno));
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) FAIL("child status %d", st);
    } else {
      FAIL("unknown mode %s", mode);
    }
    printf("step %d\n", i);
    fflush(stdout);
  }
  if (!strcmp(mode, "sigpend")) {
    sigprocmask(SIG_UNBLOCK, &usrs, NULL);
    if (usr1 != 1 || usr2 != 1) FAIL("received USR1 %d, USR2 %d times", usr1, usr2);
  }
  printf("done %d\n", n);
  return 0;
}
