#include "core/CloneCall.h"

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>

namespace ckrr {

bool CloneCall::thread() const {
  return flags & CLONE_THREAD;
}

bool is_clone_call(long nr) {
  return nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork;
}

CloneCall decode_clone_call(Task& t, long nr, const uint64_t* a) {
  CloneCall c;
  switch (nr) {
    case SYS_clone:  // x86-64 order: flags, stack, parent_tid, child_tid, tls
      c.flags = a[0];
      c.parent_tid = a[2];
      c.child_tid = a[3];
      break;
    case SYS_clone3: {
      uint64_t s[4] = {};  // flags, pidfd, child_tid, parent_tid
      if (a[1] >= sizeof s) t.try_read(a[0], s, sizeof s);
      c.flags = s[0];
      c.child_tid = s[2];
      c.parent_tid = s[3];
      break;
    }
    case SYS_fork:
      c.flags = SIGCHLD;
      break;
    case SYS_vfork:
      c.flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
      break;
  }
  return c;
}

void strip_clone_untraced(Task& t, long nr, const uint64_t* args) {
  if (nr == SYS_clone && (args[0] & CLONE_UNTRACED)) {
    Registers r = t.regs();
    r.rdi &= ~static_cast<uint64_t>(CLONE_UNTRACED);
    t.set_regs(r);
  } else if (nr == SYS_clone3 && args[1] >= sizeof(uint64_t)) {
    uint64_t flags = 0;
    if (t.try_read(args[0], &flags, sizeof flags) && (flags & CLONE_UNTRACED)) {
      flags &= ~static_cast<uint64_t>(CLONE_UNTRACED);
      t.write(args[0], &flags, sizeof flags);
    }
  }
}

}  // namespace ckrr
