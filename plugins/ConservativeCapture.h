#pragma once
// Recording a call whose memory effects ckrr does not know exactly (a number newer than the
// syscall table, an ioctl it has no description of, a struct with pointers inside): at entry
// the memory near each pointer argument, and near pointers found at the start of what those
// point to, is read; at exit every byte that changed there is captured. Replay writes them
// back. Bytes the kernel writes farther away are missed, so such calls are named in
// `ckrr info` ("recorded conservatively").
#include <string>

#include "plugins/SyscallContext.h"

namespace ckrr {

class ConservativeCapture {
 public:
  // Bytes looked at from each pointer, and at most this many pointers per call.
  static constexpr uint64_t kWindow = 4096;
  static constexpr size_t kMaxPointers = 16;

  // At entry: remembers the memory (event blob kBeforeCall), marks the event with why
  // (kConservative) and tells the session.
  static void before(SyscallContext& ctx, const std::string& why);
  // At exit: captures the changed bytes and drops the remembered memory.
  static void after(SyscallContext& ctx);
};

}  // namespace ckrr
