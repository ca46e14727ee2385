// What LeakSanitizer does at exit: a helper sharing the address space (clone without
// CLONE_THREAD) attaches to the main thread with ptrace, waits for its stop, reads its
// registers and a word of its memory, then detaches. Prints only what is the same every run.
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile uint64_t secret = 0x1122334455667788ull;
static pid_t main_tid;
static uintptr_t stack_lo, stack_hi;

static int tracer(void* arg) {
  (void)arg;
  long r = ptrace(PTRACE_ATTACH, main_tid, 0, 0);
  printf("attach: %s\n", r == 0 ? "ok" : strerrorname_np(errno));
  if (r != 0) return 1;
  int st = 0;
  pid_t w = waitpid(main_tid, &st, __WALL);
  printf("wait: %s stopped %d by SIGSTOP %d\n", w == main_tid ? "target" : "other",
         WIFSTOPPED(st), WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
  struct user_regs_struct regs;
  r = ptrace(PTRACE_GETREGS, main_tid, 0, &regs);
  printf("getregs: %s, sp in the main stack %d\n", r == 0 ? "ok" : strerrorname_np(errno),
         regs.rsp >= stack_lo && regs.rsp < stack_hi);
  struct iovec iov = {&regs, sizeof regs};
  r = ptrace(PTRACE_GETREGSET, main_tid, NT_PRSTATUS, &iov);
  printf("getregset: %s len %zu\n", r == 0 ? "ok" : strerrorname_np(errno), iov.iov_len);
  errno = 0;
  long word = ptrace(PTRACE_PEEKDATA, main_tid, (void*)&secret, 0);
  printf("peekdata: %s %lx\n", errno == 0 ? "ok" : strerrorname_np(errno), word);
  r = ptrace(PTRACE_DETACH, main_tid, 0, 0);
  printf("detach: %s\n", r == 0 ? "ok" : strerrorname_np(errno));
  fflush(stdout);
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  main_tid = getpid();
  char here;
  stack_hi = (uintptr_t)&here + 65536;
  stack_lo = (uintptr_t)&here - (8 << 20);
  size_t size = 1 << 20;
  char* stack = malloc(size);
  pid_t t = clone(tracer, stack + size, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD, NULL);
  prctl(PR_SET_PTRACER, t, 0, 0, 0);
  int st;
  waitpid(t, &st, __WALL);
  printf("tracer done: %d\n", WEXITSTATUS(st));
  printf("secret still %lx\n", (unsigned long)secret);
  return 0;
}
