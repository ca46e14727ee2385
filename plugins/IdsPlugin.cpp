#include "plugins/IdsPlugin.h"

#include <sys/syscall.h>

namespace ckrr {

std::vector<SyscallClaim> IdsPlugin::claims() const {
  const ReplayMode E = ReplayMode::Emulate;
  return {{SYS_getpid, E},
          {SYS_getppid, E},
          {SYS_gettid, E},
          {SYS_getuid, E},
          {SYS_geteuid, E},
          {SYS_getgid, E},
          {SYS_getegid, E},
          {SYS_getpgrp, E},
          {SYS_getpgid, E},
          {SYS_getsid, E},
          {SYS_getresuid, E},
          {SYS_getresgid, E},
          {SYS_getgroups, E},
          {SYS_setsid, E},
          {SYS_setpgid, E},
          {SYS_setuid, E},
          {SYS_setgid, E},
          {SYS_setreuid, E},
          {SYS_setregid, E},
          {SYS_setresuid, E},
          {SYS_setresgid, E},
          {SYS_setgroups, E},
          {SYS_setfsuid, E},
          {SYS_setfsgid, E},
          // Its effect (clear_child_tid) matters; the tid it returns is virtual.
          {SYS_set_tid_address, ReplayMode::ReexecuteOverride}};
}

void IdsPlugin::record_exit(SyscallContext& ctx) {
  if (ctx.failed()) return;
  const uint64_t* a = ctx.args;
  switch (ctx.nr) {
    case SYS_getresuid:
    case SYS_getresgid:
      ctx.capture(a[0], 4);
      ctx.capture(a[1], 4);
      ctx.capture(a[2], 4);
      break;
    case SYS_getgroups:
      if (a[0] != 0) ctx.capture(a[1], ctx.result * 4);
      break;
  }
}

}  // namespace ckrr
