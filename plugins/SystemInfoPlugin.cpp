#include "plugins/SystemInfoPlugin.h"

#include <sys/syscall.h>

namespace ckrr {

void SystemInfoPlugin::record_entry(SyscallContext& ctx) {
  switch (ctx.nr) {
    case SYS_sched_setaffinity:
      // The app must stay on the supervisor's CPU (ptrace stops cost 4-8x more across CPUs):
      // pretend it worked.
      ctx.skip = true;
      ctx.forced_result = 0;
      break;
    case SYS_prlimit64:
      if (ctx.args[2] != 0) ctx.event.mode = ReplayMode::ReexecuteOverride;
      break;
    case SYS_personality:
      // Changing the personality would undo ADDR_NO_RANDOMIZE for later execs: only queries run.
      if (ctx.args[0] != 0xffffffffu) {
        ctx.skip = true;
        ctx.forced_result = 0;  // PER_LINUX
      }
      break;
  }
}

void SystemInfoPlugin::record_exit(SyscallContext& ctx) {
  if (ctx.failed()) return;
  const uint64_t* a = ctx.args;
  switch (ctx.nr) {
    case SYS_uname:
      ctx.capture(a[0], 390);
      break;
    case SYS_sysinfo:
      ctx.capture(a[0], 112);
      break;
    case SYS_getrusage:
      ctx.capture(a[1], 144);
      break;
    case SYS_getrlimit:
      ctx.capture(a[1], 16);
      break;
    case SYS_prlimit64:
      ctx.capture(a[3], 16);
      break;
    case SYS_sched_getaffinity:
      ctx.capture(a[2], ctx.result);
      break;
    case SYS_getcpu:
      ctx.capture(a[0], 4);
      ctx.capture(a[1], 4);
      break;
    case SYS_sched_getparam:
      ctx.capture(a[1], 4);
      break;
    case SYS_capget:
      ctx.capture(a[1], 24);
      break;
    case SYS_syslog:
      if (a[0] == 2 || a[0] == 3 || a[0] == 4) ctx.capture(a[1], ctx.result);
      break;
    case SYS_get_mempolicy:
      ctx.capture(a[0], 4);
      if (a[1]) ctx.capture(a[1], (a[2] + 63) / 64 * 8);
      break;
  }
}

}  // namespace ckrr
