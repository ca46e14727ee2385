#include "plugins/LifecyclePlugin.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "plugins/AppPtracePlugin.h"

namespace ckrr {

// A wait by a program that traces a thread or child itself (AppPtracePlugin) for a target it
// stopped: the kernel knows nothing of that stop (ckrr is the real tracer), so ckrr reports it.
void LifecyclePlugin::report_app_tracee_stop(SyscallContext& ctx) {
  if (ctx.proc.app_tracees.empty()) return;
  const uint64_t* a = ctx.args;
  const bool by_waitid = ctx.nr == SYS_waitid;
  pid_t pid =
      by_waitid ? (a[0] == P_PID ? static_cast<pid_t>(a[1]) : -1) : static_cast<pid_t>(a[0]);
  int status = AppPtracePlugin::pending_stop(ctx.proc, pid);
  if (!status) return;
  if (pid == -1)
    for (const auto& [tid, st] : ctx.proc.app_tracees)
      if (st == status) pid = tid;
  ctx.skip = true;
  if (by_waitid) {
    siginfo_t si{};
    si.si_signo = SIGCHLD;
    si.si_code = CLD_TRAPPED;
    si.si_pid = pid;
    si.si_status = (status >> 8) & 0xff;
    if (a[2]) ctx.task.write(a[2], &si, sizeof si);
    ctx.forced_result = 0;
  } else {
    if (a[1]) ctx.task.write(a[1], &status, sizeof status);
    ctx.forced_result = pid;
  }
  ctx.proc.app_tracees[pid] = 0;  // reported once
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
