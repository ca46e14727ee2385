#include "plugins/TimePlugin.h"

#include <signal.h>
#include <sys/syscall.h>
#include <x86intrin.h>

#include "core/Error.h"
#include "core/TscInstruction.h"

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
  unsigned aux = 0;
  uint64_t tsc = len == 2 ? __rdtsc() : __rdtscp(&aux);
  ctx.event.kind = EventKind::Rdtsc;
  ctx.event.mode = ReplayMode::Emulate;
  ctx.event.nr = len;
  ctx.event.result = static_cast<int64_t>(tsc);
  ctx.event.args[0] = r.rip;
  ctx.event.args[1] = aux;
  r.rax = tsc & 0xffffffffu;
  r.rdx = tsc >> 32;
  if (len == 3) r.rcx = aux;
  r.rip += len;
  ctx.task.set_regs(r);
  return true;
}

bool TimePlugin::replay_fault(FaultContext& ctx) {
  if (ctx.sig != SIGSEGV || ctx.info.si_code != SI_KERNEL) return false;
  Registers r = ctx.task.regs();
  int len = tsc_insn_len(ctx.task, r.rip);
  if (!len) return false;
  const Event& ev = ctx.event;
  char buf[64];
  snprintf(buf, sizeof buf, "%s at 0x%llx", len == 2 ? "rdtsc" : "rdtscp",
           static_cast<unsigned long long>(r.rip));
  if (ev.kind != EventKind::Rdtsc || ev.args[0] != r.rip || ev.nr != len) {
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
  return true;
}

}  // namespace ckrr
