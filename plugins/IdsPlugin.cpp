#include "plugins/IdsPlugin.h"

#include <sys/syscall.h>

namespace ckrr {

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
