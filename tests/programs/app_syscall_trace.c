// A tiny tracer: forks a child that waits on a pipe, seizes it (PTRACE_O_TRACESYSGOOD,
// TRACEEXIT), interrupts it, then resumes it with PTRACE_SYSCALL until it exits, counting its
// getpid calls at their entry and exit stops (PTRACE_GET_SYSCALL_INFO tells which, GETREGS
// shows orig_rax and -ENOSYS at entry, the result at exit). Only what is the same on any
// kernel is printed: the child's own syscalls before it is released vary. At the first getpid
// exit it single-steps the child 3 instructions (SIGTRAP stops, rip moving); at getppid's exit
// it sets the result to 4242 with PTRACE_SETREGS, which the child tells by its exit status.
// An untraced child's end reaches the same waitpid(-1) meanwhile.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int p[2];
  if (pipe(p)) return 1;
  pid_t c = fork();
  if (c == 0) {
    char b;
    if (read(p[0], &b, 1) != 1) _exit(1);
    for (int i = 0; i < 5; i++) syscall(SYS_getpid);
    long r = syscall(SYS_getppid);  // its tracer makes it 4242
    _exit(r == 4242 ? 9 : 8);
  }
  // An untraced child too, released at the first getpid entry: its end comes to the same
  // waitpid(-1) as the tracee's stops.
  int q[2];
  if (pipe(q)) return 1;
  pid_t u = fork();
  if (u == 0) {
    char b;
    close(q[1]);
    _exit(read(q[0], &b, 1) == 1 ? 3 : 4);
  }
  close(q[0]);
  int untraced_status = -1;
  if (ptrace(PTRACE_SEIZE, c, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXIT)) {
    perror("seize");
    return 1;
  }
  ptrace(PTRACE_INTERRUPT, c, 0, 0);
  int st = 0;
  waitpid(c, &st, __WALL);
  printf("first stop: %s\n",
         WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP ? "event stop" : "other");
  ptrace(PTRACE_SYSCALL, c, 0, 0);
  if (write(p[1], "x", 1) != 1) return 1;
  int getpid_entries = 0, getpid_exits = 0, entry_regs_ok = 0, exit_results_ok = 0;
  int exit_events = 0, exit_group_entries = 0, steps = 0, rip_moves = 0, result_set = 0;
  for (;;) {
    pid_t w = waitpid(-1, &st, __WALL);
    if (w == u) {
      untraced_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      continue;
    }
    if (w != c) {
      perror("waitpid");
      return 1;
    }
    if (WIFEXITED(st)) {
      printf("child exited %d\n", WEXITSTATUS(st));
      break;
    }
    if (WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80)) {
      struct __ptrace_syscall_info info;
      long n = ptrace(PTRACE_GET_SYSCALL_INFO, c, sizeof info, &info);
      struct user_regs_struct r;
      ptrace(PTRACE_GETREGS, c, 0, &r);
      if (n > 0 && info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        if (info.entry.nr == SYS_exit_group) exit_group_entries++;
        if (info.entry.nr == SYS_getpid) {
          if (getpid_entries == 0 && write(q[1], "x", 1) != 1) return 1;
          getpid_entries++;
          if (r.orig_rax == SYS_getpid && (long)r.rax == -ENOSYS) entry_regs_ok++;
        }
      } else if (n > 0 && info.op == PTRACE_SYSCALL_INFO_EXIT && r.orig_rax == SYS_getpid) {
        getpid_exits++;
        if (info.exit.rval == c && (long)r.rax == c && !info.exit.is_error) exit_results_ok++;
        if (getpid_exits == 1) {
          unsigned long long rip = r.rip;
          for (int i = 0; i < 3; i++) {
            ptrace(PTRACE_SINGLESTEP, c, 0, 0);
            if (waitpid(c, &st, __WALL) != c || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) break;
            steps++;
            siginfo_t si;
            ptrace(PTRACE_GETSIGINFO, c, 0, &si);
            struct user_regs_struct s2;
            ptrace(PTRACE_GETREGS, c, 0, &s2);
            if (s2.rip != rip && si.si_code == TRAP_TRACE) rip_moves++;
            rip = s2.rip;
          }
        }
      } else if (n > 0 && info.op == PTRACE_SYSCALL_INFO_EXIT && r.orig_rax == SYS_getppid) {
        r.rax = 4242;
        if (ptrace(PTRACE_SETREGS, c, 0, &r) == 0) result_set++;
      }
    } else if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_EXIT) {
      unsigned long msg = 0;
      ptrace(PTRACE_GETEVENTMSG, c, 0, &msg);
      exit_events++;
      printf("exit event: status %lu\n", msg >> 8);
    }
    ptrace(PTRACE_SYSCALL, c, 0, 0);
  }
  if (untraced_status < 0 && waitpid(u, &st, 0) == u)
    untraced_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  printf("untraced child exited %d\n", untraced_status);
  printf("getpid: %d entries (%d with orig_rax and -ENOSYS), %d exits (%d with the pid)\n",
         getpid_entries, entry_regs_ok, getpid_exits, exit_results_ok);
  printf("exit_group entries: %d, exit events: %d\n", exit_group_entries, exit_events);
  printf("single steps: %d (rip moved, TRAP_TRACE: %d); getppid result set: %d\n", steps, rip_moves,
         result_set);
  return 0;
}
