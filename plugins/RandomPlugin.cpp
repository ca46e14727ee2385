#include "plugins/RandomPlugin.h"

#include <sys/syscall.h>

namespace ckrr {

void RandomPlugin::record_exit(SyscallContext& ctx) {
  if (!ctx.failed()) ctx.capture(ctx.args[0], ctx.result);
}

}  // namespace ckrr
