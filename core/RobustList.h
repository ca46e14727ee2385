#pragma once
// What the kernel does with a dying thread's robust futex list (owner-died marking), done by
// ckrr for a replayed thread: the futex words hold the recorded tid, which the kernel, knowing
// only the real one, would not recognise.
#include <sys/types.h>

namespace ckrr {

class Task;

// Marks every robust futex of t owned by owner_tid (and its pending one) as FUTEX_OWNER_DIED,
// keeping FUTEX_WAITERS. Returns how many were marked.
int mark_robust_futexes_dead(Task& t, pid_t owner_tid);

}  // namespace ckrr
