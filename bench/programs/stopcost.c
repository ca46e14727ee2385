/* Floor for ckrr's per-event cost on this machine, measured without ckrr.
 *
 * A minimal tracer forks a child, both pinned to the current CPU (as ckrr does),
 * installs a seccomp filter that returns SECCOMP_RET_TRACE for getppid and
 * times N getppid calls in three ways:
 *   native      no tracer, no filter
 *   seccomp     one seccomp stop, then PTRACE_CONT                (2 context switches)
 *   seccomp+exit  seccomp stop, PTRACE_SYSCALL to the exit stop,
 *               GETREGS there, PTRACE_CONT  (4 switches; ckrr's recorder does this)
 *   ..._notsc   the same with the child under PR_SET_TSC(PR_TSC_SIGSEGV), as ckrr
 *               sets it to trap rdtsc: the kernel then rewrites CR4.TSD on every
 *               switch between tracer and tracee, which a VM may trap.
 * Prints microseconds per call for each, so bench/run_record_replay.py can
 * compare ckrr's (record - native) / events against what the kernel charges.
 *
 * usage: ckrr_bench_stopcost [N]   (default 20000)
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void loop(long n) {
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
}

/* Returns the tracer-side wall time for n traced getppid calls. */
static double traced(long n, int with_exit_stop, int notsc) {
  pid_t pid = fork();
  if (pid == 0) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
    if (notsc) prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
    raise(SIGSTOP);
    loop(n);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
  double t0 = now_us();
  ptrace(PTRACE_CONT, pid, 0, 0);
  for (;;) {
    if (waitpid(pid, &st, 0) < 0 || WIFEXITED(st) || WIFSIGNALED(st)) break;
    if (with_exit_stop && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
      struct user_regs_struct r;
      ptrace(PTRACE_SYSCALL, pid, 0, 0);
      waitpid(pid, &st, 0);
      ptrace(PTRACE_GETREGS, pid, 0, &r);
    }
    ptrace(PTRACE_CONT, pid, 0, 0);
  }
  return now_us() - t0;
}

int main(int argc, char** argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(sched_getcpu(), &set);
  sched_setaffinity(0, sizeof set, &set);  /* children inherit it: same CPU, as in ckrr */

  double t0 = now_us();
  loop(n);
  double native = now_us() - t0;
  double sec = traced(n, 0, 0), sec_exit = traced(n, 1, 0), sec_exit_tsc = traced(n, 1, 1),
         sec_tsc = traced(n, 0, 1);
  printf("native_us_per_call %.3f\n", native / n);
  printf("seccomp_stop_us_per_call %.2f\n", sec / n);
  printf("seccomp_plus_exit_stop_us_per_call %.2f\n", sec_exit / n);
  printf("seccomp_stop_notsc_us_per_call %.2f\n", sec_tsc / n);
  printf("seccomp_plus_exit_stop_notsc_us_per_call %.2f\n", sec_exit_tsc / n);
  return 0;
}
