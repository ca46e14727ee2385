#include "plugins/BlockingSyscalls.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "plugins/SyscallTable.h"

namespace ckrr {

namespace {
// Regular files and memfds never make a reader or writer wait for someone else.
bool fd_may_block(const ProcessState& proc, uint64_t fd) {
  const FdEntry* e = proc.fd(static_cast<int>(fd));
  if (!e) return true;
  return e->kind != FdEntry::Kind::File && e->kind != FdEntry::Kind::MemFd;
}
}  // namespace

bool may_block(int nr, const uint64_t* a, const ProcessState& proc) {
  const SyscallSpec* spec = syscall_spec(nr);
  if (spec && spec->waits == SyscallWaits::No) return false;
  if (spec && spec->waits == SyscallWaits::Yes) return true;
  // A number ckrr does not know might wait: let the others run meanwhile. Invalid ones fail.
  if (!spec) return nr >= 0 && nr < 4096;
  switch (nr) {
    case SYS_read:
    case SYS_readv:
    case SYS_write:
    case SYS_writev:
    case SYS_recvfrom:
    case SYS_recvmsg:
    case SYS_recvmmsg:
    case SYS_sendto:
    case SYS_sendmsg:
    case SYS_sendmmsg:
      return fd_may_block(proc, a[0]);
    case SYS_poll:
    case SYS_ppoll:
      return !(nr == SYS_poll && a[2] == 0);
    case SYS_wait4:
      return !(a[2] & WNOHANG);
    case SYS_waitid:
      return !(a[3] & WNOHANG);
    case SYS_futex: {
      int op = static_cast<int>(a[1]) & FUTEX_CMD_MASK;
      return op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET || op == FUTEX_LOCK_PI ||
             op == FUTEX_LOCK_PI2 || op == FUTEX_WAIT_REQUEUE_PI;
    }
    case SYS_flock:
      return !(a[1] & LOCK_NB);
    case SYS_fcntl:
      return a[1] == F_SETLKW || a[1] == F_OFD_SETLKW;
  }
  return false;
}

std::optional<uint64_t> temporary_mask(Task& t, long nr, const uint64_t* a) {
  switch (nr) {
    case SYS_rt_sigsuspend:
      return a[0];
    case SYS_ppoll:
      if (a[3]) return a[3];
      break;
    case SYS_epoll_pwait:
    case SYS_epoll_pwait2:
      if (a[4]) return a[4];
      break;
    case SYS_pselect6: {
      uint64_t ss[2] = {};  // {const sigset_t* ss; size_t ss_len}
      if (a[5] && t.try_read(a[5], ss, sizeof ss) && ss[0]) return ss[0];
      break;
    }
  }
  return std::nullopt;
}

}  // namespace ckrr
