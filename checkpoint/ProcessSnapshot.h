#pragma once
// A copy-on-write snapshot of a stopped traced process: a clone of it (CLONE_PARENT: ckrr, not
// the app, is its parent and reaps it, and the app is never signalled) that stays stopped
// while the checkpoint writer reads its memory, so the app itself is held only for the time
// of the fork (~14 ms per GB of 4K pages here, ~1 ms with huge pages) instead of the time to
// read and hash all of its memory. Only for processes whose parent is ckrr: the copy of any
// other would be its parent's child, and that parent would see it end.
#include <sys/types.h>

#include <memory>

#include "core/Task.h"

namespace ckrr {

class ProcessSnapshot {
 public:
  // Forks the process of t, which must be stopped outside a syscall with ckrr's scratch page
  // mapped and traced with PTRACE_O_TRACECLONE. Throws Error when it cannot.
  explicit ProcessSnapshot(Task& t);
  // Whether process pid can be snapshotted: it is ckrr's child.
  static bool possible(pid_t pid);
  ~ProcessSnapshot();  // kills and reaps the copy
  ProcessSnapshot(const ProcessSnapshot&) = delete;
  ProcessSnapshot& operator=(const ProcessSnapshot&) = delete;

  // The stopped copy; its memory is the process's memory at the time of the snapshot.
  Task& task() { return *copy_; }
  // Whether the copy still exists, stopped (not killed by a signal meant for the app's process
  // group, say: its memory then reads as holes). Any thread may ask.
  bool alive() const;
  // Hands the copy over to the caller (the debugger runs it: an in-memory snapshot).
  std::unique_ptr<Task> release() { return std::move(copy_); }

 private:
  std::unique_ptr<Task> copy_;
};

}  // namespace ckrr
