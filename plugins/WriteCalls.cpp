#include "plugins/WriteCalls.h"

#include <sys/syscall.h>

namespace ckrr {

std::optional<int> written_fd(long nr, const uint64_t* a) {
  switch (nr) {
    case SYS_write:
    case SYS_pwrite64:
    case SYS_writev:
    case SYS_pwritev:
    case SYS_pwritev2:
    case SYS_sendto:
    case SYS_sendmsg:
    case SYS_sendmmsg:
      return static_cast<int>(a[0]);
  }
  return std::nullopt;
}

}  // namespace ckrr
