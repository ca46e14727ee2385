#include "plugins/LifecyclePlugin.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "plugins/AppTraces.h"

namespace ckrr {

// A wait by a program that traces a thread or child itself (AppTraces): the kernel knows
// nothing of those stops (ckrr is the real tracer), so ckrr reports them; with nothing to report
// yet while a tracee may still stop, the tracer waits (parked) until one does.
void LifecyclePlugin::report_app_tracee_stop(SyscallContext& ctx) {
  AppTraces* traces = ctx.session.app_traces();
  if (!traces || traces->empty()) return;
  const uint64_t* a = ctx.args;
  const bool by_waitid = ctx.nr == SYS_waitid;
  const pid_t pid =
      by_waitid ? (a[0] == P_PID ? static_cast<pid_t>(a[1]) : -1) : static_cast<pid_t>(a[0]);
  const int options = static_cast<int>(by_waitid ? a[3] : a[2]);
  AppTraces::WaitAnswer w =
      traces->wait(ctx.proc.recorded_pid, static_cast<pid_t>(ctx.task.tid()), pid, options);
  if (w.what == AppTraces::WaitAnswer::Park) ctx.park = true;
  if (w.what == AppTraces::WaitAnswer::Nothing) {
    ctx.skip = true;
    ctx.forced_result = 0;
    if (by_waitid && a[2]) {  // no child: the kernel clears the siginfo
      siginfo_t si{};
      ctx.task.write(a[2], &si, sizeof si);
    }
    return;
  }
  if (w.what != AppTraces::WaitAnswer::Report) return;
  ctx.skip = true;
  if (by_waitid) {
    siginfo_t si{};
    si.si_signo = SIGCHLD;
    si.si_pid = w.pid;
    if (w.kind != AppTraces::StopKind::Exited) {
      si.si_code = CLD_TRAPPED;
      si.si_status = (w.status >> 8) & 0xff;
    } else if (WIFEXITED(w.status)) {
      si.si_code = CLD_EXITED;
      si.si_status = WEXITSTATUS(w.status);
    } else {
      si.si_code = WCOREDUMP(w.status) ? CLD_DUMPED : CLD_KILLED;
      si.si_status = WTERMSIG(w.status);
    }
    if (a[2]) ctx.task.write(a[2], &si, sizeof si);
    ctx.forced_result = 0;
  } else {
    if (a[1]) ctx.task.write(a[1], &w.status, sizeof w.status);
    ctx.forced_result = w.pid;
  }
}

void LifecyclePlugin::record_entry(SyscallContext& ctx) {
  switch (ctx.nr) {
    case SYS_wait4:
    case SYS_waitid:
      report_app_tracee_stop(ctx);
      break;
    case SYS_rseq:
      ctx.skip = true;
      ctx.forced_result = -ENOSYS;
      break;
    case SYS_prctl:
      if (ctx.args[0] == PR_SET_TSC || ctx.args[0] == PR_GET_TSC || ctx.args[0] == PR_SET_MM) {
        // rdtsc must keep trapping; pretend the TSC is enabled.
        ctx.skip = true;
        ctx.forced_result = 0;
        if (ctx.args[0] == PR_GET_TSC) {
          int v = PR_TSC_ENABLE;
          ctx.task.write(ctx.args[1], &v, sizeof v);
        }
        ctx.event.mode = ReplayMode::Emulate;
      }
      break;
  }
}

void LifecyclePlugin::record_exit(SyscallContext& ctx) {
  if ((ctx.nr == SYS_wait4 || ctx.nr == SYS_waitid) && !ctx.skip) {
    if (AppTraces* traces = ctx.session.app_traces()) {  // a child's end the kernel reported
      pid_t reaped = ctx.result == -ECHILD ? -1 : 0;
      if (ctx.nr == SYS_wait4 && ctx.result > 0) reaped = static_cast<pid_t>(ctx.result);
      siginfo_t si{};
      if (ctx.nr == SYS_waitid && ctx.result == 0 && ctx.args[2] &&
          ctx.task.try_read(ctx.args[2], &si, sizeof si))
        reaped = si.si_pid;
      if (reaped) traces->reaped(ctx.proc.recorded_pid, reaped);
    }
  }
  if (ctx.failed()) return;
  const uint64_t* a = ctx.args;
  switch (ctx.nr) {
    case SYS_prctl:
      if (a[0] == PR_GET_NAME) ctx.capture(a[1], 16);
      if (a[0] == PR_GET_TSC) ctx.capture(a[1], 4);
      if (a[0] == PR_GET_PDEATHSIG) ctx.capture(a[1], 4);
      break;
    case SYS_futex: {
      int op = static_cast<int>(a[1]) & FUTEX_CMD_MASK;
      if (op == FUTEX_WAKE_OP) ctx.capture(a[4], 4);  // the operation on the second word
      if (op == FUTEX_LOCK_PI || op == FUTEX_LOCK_PI2 || op == FUTEX_TRYLOCK_PI ||
          op == FUTEX_UNLOCK_PI)
        ctx.capture(a[0], 4);  // the owner tid the kernel wrote
      break;
    }
    case SYS_wait4:
      ctx.capture(a[1], 4);
      ctx.capture(a[3], 144);
      break;
    case SYS_waitid:
      ctx.capture(a[2], 128);
      ctx.capture(a[4], 144);
      break;
  }
}

}  // namespace ckrr
