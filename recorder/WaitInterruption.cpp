#include "recorder/WaitInterruption.h"

#include <linux/futex.h>
#include <sys/syscall.h>

namespace ckrr {

bool checkpoint_may_interrupt(const Event& call) {
  const int timeout = static_cast<int>(call.args[2]);
  switch (call.nr) {
    case SYS_poll:
      return timeout < 0;
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
      return static_cast<int>(call.args[3]) < 0;
    case SYS_epoll_pwait2:
      return call.args[4] == 0;
    case SYS_select:
    case SYS_pselect6:
    case SYS_ppoll:
    case SYS_wait4:
    case SYS_waitid:
    case SYS_read:
    case SYS_readv:
    case SYS_recvfrom:
    case SYS_recvmsg:
    case SYS_accept:
    case SYS_accept4:
    case SYS_pause:
      return true;
    case SYS_futex: {
      const int op = static_cast<int>(call.args[1]) & FUTEX_CMD_MASK;
      return (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET) && call.args[3] == 0;
    }
    default:
      return false;
  }
}

bool eintr_on_stop(long nr) {
  return nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2;
}

}  // namespace ckrr
