#pragma once
// The parts of a clone/clone3/fork/vfork call that decide what it creates and where the kernel
// writes the new tid (which replay must overwrite with the recorded one).
#include <cstdint>

#include "core/Task.h"

namespace ckrr {

struct CloneCall {
  uint64_t flags = 0;
  uint64_t parent_tid = 0;  // CLONE_PARENT_SETTID target (parent's memory)
  uint64_t child_tid = 0;   // CLONE_CHILD_SETTID target (child's memory)
  bool thread() const;      // CLONE_THREAD: same process
};

bool is_clone_call(long nr);
// Reads clone3's struct from the task; the others from the arguments.
CloneCall decode_clone_call(Task& t, long nr, const uint64_t* args);
// Clears CLONE_UNTRACED from a clone/clone3 about to run (at its seccomp stop): an untraced
// child would run with the recording's seccomp filter and no tracer (every trapped call fails
// with ENOSYS) and escape the trace. Record and replay both do it, so the app sees the same
// (the flags register of clone, the flags word of clone3's struct, keep the cleared value).
void strip_clone_untraced(Task& t, long nr, const uint64_t* args);

}  // namespace ckrr
