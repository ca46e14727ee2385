#include "core/RobustList.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "core/Task.h"

namespace ckrr {

namespace {
bool mark(Task& t, uint64_t uaddr, pid_t owner) {
  uint32_t v;
  if (!t.try_read(uaddr, &v, sizeof v)) return false;
  if ((v & FUTEX_TID_MASK) != static_cast<uint32_t>(owner)) return false;
  uint32_t m = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
  t.write(uaddr, &m, sizeof m);
  return true;
}
}  // namespace

int mark_robust_futexes_dead(Task& t, pid_t owner_tid) {
  uint64_t head = 0;
  size_t len = 0;
  if (syscall(SYS_get_robust_list, t.tid(), &head, &len) != 0 || !head) return 0;
  struct {
    uint64_t next;
    int64_t futex_offset;
    uint64_t pending;
  } h;
  if (!t.try_read(head, &h, sizeof h)) return 0;
  int marked = 0;
  uint64_t entry = h.next;
  for (int limit = 0; entry && (entry & ~1ull) != head && limit < 2048; ++limit) {
    uint64_t e = entry & ~1ull;  // bit 0: a PI futex
    if (e != (h.pending & ~1ull)) marked += mark(t, e + h.futex_offset, owner_tid);
    if (!t.try_read(e, &entry, sizeof entry)) break;
  }
  if (h.pending) marked += mark(t, (h.pending & ~1ull) + h.futex_offset, owner_tid);
  return marked;
}

}  // namespace ckrr
