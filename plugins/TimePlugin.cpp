#include "plugins/TimePlugin.h"

#include <signal.h>
#include <sys/syscall.h>

#include "core/Error.h"
#include "core/TscInstruction.h"
#include "plugins/ProcessState.h"
#include "plugins/TscSites.h"

namespace ckrr {

void TimePlugin::record_exit(SyscallContext& ctx) {
  const uint64_t* a = ctx.args;
  switch (ctx.nr) {
    case SYS_clock_gettime:
    case SYS_clock_getres:
      if (!ctx.failed()) ctx.capture(a[1], 16);
      break;
    case SYS_gettimeofday:
      if (!ctx.failed()) {
        ctx.capture(a[0], 16);
        ctx.capture(a[1], 8);
      }
      break;
    case SYS_time:
      ctx.capture(a[0], 8);
      break;
    case SYS_nanosleep:
      if (ctx.result == -EINTR) ctx.capture(a[1], 16);
      break;
    case SYS_clock_nanosleep:
      if (ctx.result == -EINTR) ctx.capture(a[3], 16);
      break;
    case SYS_times:
      ctx.capture(a[0], 32);
      break;
    case SYS_setitimer:
      if (!ctx.failed()) ctx.capture(a[2], 32);  // the old value
      break;
    case SYS_getitimer:
      if (!ctx.failed()) ctx.capture(a[1], 32);
      break;
    case SYS_timer_create:
      if (!ctx.failed()) ctx.capture(a[2], 4);  // the timer id
      break;
    case SYS_timer_settime:
    case SYS_timerfd_settime:
      if (!ctx.failed()) ctx.capture(a[3], 32);
      break;
    case SYS_timer_gettime:
    case SYS_timerfd_gettime:
      if (!ctx.failed()) ctx.capture(a[1], 32);
      break;
    case SYS_adjtimex:
      ctx.capture(a[0], 208);
      break;
    case SYS_clock_adjtime:
      ctx.capture(a[1], 208);
      break;
  }
}

bool TimePlugin::record_fault(FaultContext& ctx) {
  if (ctx.sig != SIGSEGV || ctx.info.si_code != SI_KERNEL) return false;
  Registers r = ctx.task.regs();
  int len = tsc_insn_len(ctx.task, r.rip);
  if (!len) return false;
  // A hot site is patched to read through the agent (TscSites); the agent's own fallback read
  // stands for the site it was made for.
  const uint64_t site = TscSites::site_of(r);
  uint64_t aux = 0;
  const uint64_t tsc = TscSites::record_value(ctx.task, len, &aux, ctx.event);
  ctx.event.kind = EventKind::Rdtsc;
  ctx.event.mode = ReplayMode::Emulate;
  ctx.event.nr = len;
  ctx.event.result = static_cast<int64_t>(tsc);
  ctx.event.args[0] = site;
  ctx.event.args[1] = aux;
  r.rax = tsc & 0xffffffffu;
  r.rdx = tsc >> 32;
  if (len == 3) r.rcx = aux;
  r.rip += len;
  ctx.task.set_regs(r);
  if (site == r.rip - len) TscSites::after_trap(ctx.task, site, len);
  return true;
}

bool TimePlugin::replay_fault(FaultContext& ctx) {
  if (ctx.sig != SIGSEGV || ctx.info.si_code != SI_KERNEL) return false;
  Registers r = ctx.task.regs();
  int len = tsc_insn_len(ctx.task, r.rip);
  if (!len) return false;
  const Event& ev = ctx.event;
  char buf[64];
  const uint64_t site = TscSites::site_of(r);
  snprintf(buf, sizeof buf, "%s at 0x%llx", len == 2 ? "rdtsc" : "rdtscp",
           static_cast<unsigned long long>(site));
  // (An event the agent buffered may be answered here: gdb and `--to` do not fill its buffer,
  // so its fallback read traps.)
  if (ev.kind != EventKind::Rdtsc || ev.args[0] != site || ev.nr != len) {
    char exp[64];
    snprintf(exp, sizeof exp, "%s at 0x%llx", ev.name().c_str(),
             static_cast<unsigned long long>(ev.args[0]));
    throw Divergence(ev.seq, ev.tid, "a different event", exp, buf);
  }
  uint64_t tsc = static_cast<uint64_t>(ev.result);
  r.rax = tsc & 0xffffffffu;
  r.rdx = tsc >> 32;
  if (len == 3) r.rcx = ev.args[1];
  r.rip += len;
  ctx.task.set_regs(r);
  TscSites::replay_value(ctx.task, ev);
  if (site == r.rip - len) TscSites::after_trap(ctx.task, site, len);
  return true;
}

void TimePlugin::on_exec(ProcessState& p) {
  TscSites::forget(p.real_pid);
}

}  // namespace ckrr
