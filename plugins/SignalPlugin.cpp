#include "plugins/SignalPlugin.h"

#include <sys/syscall.h>

namespace ckrr {

namespace {
// Whether the call targets the calling process itself, as the app sees pids.
// Only a signal to the calling thread itself is sent again in replay (its delivery point is
// then the kernel's, as when recording); others are injected from their recorded events.
bool targets_self(const SyscallContext& ctx) {
  pid_t self = ctx.proc.recorded_pid;
  pid_t self_tid = ctx.task.tid() == ctx.proc.real_pid ? self : ctx.task.tid();
  switch (ctx.nr) {
    case SYS_kill:
      return (static_cast<pid_t>(ctx.args[0]) == self || ctx.args[0] == 0) &&
             ctx.task.tid() == ctx.task.tgid();
    case SYS_tkill:
      return static_cast<pid_t>(ctx.args[0]) == self_tid;
    case SYS_tgkill:
      return static_cast<pid_t>(ctx.args[0]) == self && static_cast<pid_t>(ctx.args[1]) == self_tid;
  }
  return false;
}
}  // namespace

void SignalPlugin::record_entry(SyscallContext& ctx) {
  if (targets_self(ctx)) ctx.event.mode = ReplayMode::Reexecute;
}

void SignalPlugin::record_exit(SyscallContext& ctx) {
  if (ctx.nr == SYS_rt_sigpending && !ctx.failed()) ctx.capture(ctx.args[0], 8);
  // The signal it took instead of a delivery.
  if (ctx.nr == SYS_rt_sigtimedwait && !ctx.failed()) ctx.capture(ctx.args[1], 128);
}

void SignalPlugin::replay_entry(SyscallContext& ctx) {
  if (ctx.event.mode != ReplayMode::Reexecute) return;
  // The app names itself by its recorded pid; the kernel needs the real one.
  Registers r = ctx.task.regs();
  if (ctx.nr == SYS_kill && r.rdi != 0) r.rdi = ctx.proc.real_pid;
  if (ctx.nr == SYS_tkill) r.rdi = ctx.task.tid();
  if (ctx.nr == SYS_tgkill) {
    r.rdi = ctx.proc.real_pid;
    r.rsi = ctx.task.tid();
  }
  ctx.task.set_regs(r);
}

}  // namespace ckrr
