#pragma once
// The calls the syscall table describes well enough to need no plugin of their own (SysV
// semaphores and message queues, POSIX message queues, keys, namespaces, mounts, landlock,
// pidfds, calls that change the machine...), and the fallback for every number ckrr does not
// know: such a call runs as the kernel decides (an invalid number gets ENOSYS), its result is
// recorded and replayed, and the memory it may have written is captured conservatively.
#include "plugins/Plugin.h"

namespace ckrr {

class KernelPlugin : public Plugin {
 public:
  const char* name() const override { return "kernel"; }
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;
  void replay_exit(SyscallContext& ctx) override;

 private:
  // Fds returned by calls whose kind of result depends on their arguments (bpf, seccomp,
  // landlock); the same in record and replay.
  void note_fd(SyscallContext& ctx, int64_t result);
};

}  // namespace ckrr
