#include "plugins/PollPlugin.h"

#include <sys/epoll.h>
#include <sys/syscall.h>

namespace ckrr {

void PollPlugin::record_exit(SyscallContext& ctx) {
  const uint64_t* a = ctx.args;
  if (!ctx.failed()) {
    switch (ctx.nr) {
      case SYS_poll:
      case SYS_ppoll:
        ctx.capture(a[0], a[1] * 8);
        break;
      case SYS_select:
      case SYS_pselect6: {
        uint64_t bytes = (a[0] + 63) / 64 * 8;
        ctx.capture(a[1], bytes);
        ctx.capture(a[2], bytes);
        ctx.capture(a[3], bytes);
        break;
      }
      case SYS_epoll_wait:
      case SYS_epoll_pwait:
      case SYS_epoll_pwait2:
        ctx.capture(a[1], ctx.result * sizeof(epoll_event));
        break;
    }
  }
  // Timeouts are updated in place (select's timeval; ppoll/pselect6 timespec).
  if (ctx.nr == SYS_select) ctx.capture(a[4], 16);
  if (ctx.nr == SYS_ppoll) ctx.capture(a[2], 16);
  if (ctx.nr == SYS_pselect6) ctx.capture(a[4], 16);
  apply_fd_effects(ctx);
}

void PollPlugin::replay_exit(SyscallContext& ctx) {
  ctx.result = ctx.event.result;
  apply_fd_effects(ctx);
}

void PollPlugin::apply_fd_effects(SyscallContext& ctx) {
  if (ctx.failed()) return;
  if (ctx.nr == SYS_epoll_create || ctx.nr == SYS_epoll_create1) {
    FdEntry e;
    e.kind = FdEntry::Kind::Epoll;
    e.path = "epoll";
    e.cloexec = ctx.nr == SYS_epoll_create1 && (ctx.args[0] & EPOLL_CLOEXEC);
    ctx.proc.fds[static_cast<int>(ctx.result)] = e;
  }
}

}  // namespace ckrr
