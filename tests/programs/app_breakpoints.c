// A small debugger, as gdb's `run` works: the child asks to be traced (PTRACE_TRACEME) and
// stops itself; the parent plants an int3 breakpoint in the child's code with POKETEXT, and at
// each hit rewinds rip with SETREGS, puts the original code back, single-steps over it and
// plants the breakpoint again; at the second hit it changes the function's argument (rdi).
// The child's SIGUSR1s are signal-delivery stops: the first is suppressed, the second passed
// on. The parent waits in sigsuspend for SIGCHLD, as gdb's event loop does.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) int target(int x) {
  __asm__ volatile("" ::: "memory");
  return x * 3;
}

static volatile sig_atomic_t usr1_seen;
static void on_usr1(int sig) {
  (void)sig;
  usr1_seen++;
}

static volatile sig_atomic_t sigchld_seen;
static void on_sigchld(int sig) {
  (void)sig;
  sigchld_seen++;
}

static int child(void) {
  signal(SIGUSR1, on_usr1);
  if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) {
    printf("child: traceme: %s\n", strerror(errno));
    return 1;
  }
  raise(SIGSTOP);
  for (int i = 1; i <= 3; ++i) printf("child: target(%d) = %d\n", i, target(i));
  kill(getpid(), SIGUSR1);  // suppressed by the tracer
  printf("child: usr1 handled %d time(s)\n", (int)usr1_seen);
  kill(getpid(), SIGUSR1);  // passed on
  printf("child: usr1 handled %d time(s)\n", (int)usr1_seen);
  return 0;
}

// Waits for the child's next stop or end the way gdb does: WNOHANG, then sigsuspend until a
// SIGCHLD comes (it is blocked meanwhile).
static int wait_child(pid_t c, const sigset_t* during) {
  int status;
  for (;;) {
    pid_t r = waitpid(c, &status, WNOHANG | __WALL);
    if (r == c) return status;
    if (r < 0) {
      perror("waitpid");
      exit(2);
    }
    sigsuspend(during);
  }
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sigaction(SIGCHLD, &sa, NULL);
  sigset_t block, during;
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, &during);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    sigprocmask(SIG_SETMASK, &during, NULL);
    exit(child());
  }
  char log[4096];
  size_t len = 0;
#define LOG(...) len += (size_t)snprintf(log + len, sizeof log - len, __VA_ARGS__)
  int status = wait_child(c, &during);
  LOG("first stop: %s\n", WIFSTOPPED(status) ? strsignal(WSTOPSIG(status)) : "none");
  const uintptr_t at = (uintptr_t)&target;
  errno = 0;
  long orig = ptrace(PTRACE_PEEKTEXT, c, at, 0);
  LOG("peek: %s, same code as ours: %s\n", errno ? strerror(errno) : "ok",
      orig == *(long*)at ? "yes" : "no");
  long with_int3 = (orig & ~0xffL) | 0xcc;
  LOG("poke int3: %ld\n", ptrace(PTRACE_POKETEXT, c, at, with_int3));
  ptrace(PTRACE_CONT, c, 0, 0);
  int hits = 0, usr1_stops = 0;
  for (;;) {
    status = wait_child(c, &during);
    if (!WIFSTOPPED(status)) break;
    int sig = WSTOPSIG(status);
    if (sig == SIGUSR1) {
      ++usr1_stops;
      LOG("SIGUSR1 stop %d: %s\n", usr1_stops, usr1_stops == 1 ? "suppressed" : "passed on");
      ptrace(PTRACE_CONT, c, 0, usr1_stops == 1 ? 0 : SIGUSR1);
      continue;
    }
    if (sig != SIGTRAP) {
      LOG("unexpected stop: %s\n", strsignal(sig));
      ptrace(PTRACE_CONT, c, 0, sig);
      continue;
    }
    siginfo_t si;
    ptrace(PTRACE_GETSIGINFO, c, 0, &si);
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, c, 0, &regs);
    ++hits;
    LOG("hit %d: at target+1: %s, si_code SI_KERNEL: %s, argument %llu\n", hits,
        regs.rip == at + 1 ? "yes" : "no", si.si_code == SI_KERNEL ? "yes" : "no",
        (unsigned long long)regs.rdi);
    regs.rip -= 1;
    if (hits == 2) regs.rdi = 100;  // the child computes target(100) instead
    LOG("setregs: %ld\n", ptrace(PTRACE_SETREGS, c, 0, &regs));
    ptrace(PTRACE_POKETEXT, c, at, orig);
    ptrace(PTRACE_SINGLESTEP, c, 0, 0);
    status = wait_child(c, &during);
    ptrace(PTRACE_GETSIGINFO, c, 0, &si);
    ptrace(PTRACE_GETREGS, c, 0, &regs);
    LOG("step: %s, TRAP_TRACE: %s, moved past the entry: %s\n",
        WIFSTOPPED(status) ? strsignal(WSTOPSIG(status)) : "no stop",
        si.si_code == TRAP_TRACE ? "yes" : "no",
        regs.rip > at && regs.rip < at + 16 ? "yes" : "no");
    ptrace(PTRACE_POKETEXT, c, at, with_int3);
    ptrace(PTRACE_CONT, c, 0, 0);
  }
  LOG("child %s %d; breakpoint hits %d; SIGCHLD seen: %s\n",
      WIFEXITED(status) ? "exited" : "killed by",
      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), hits,
      sigchld_seen ? "yes" : "no");
  fputs(log, stdout);
  return 0;
}
