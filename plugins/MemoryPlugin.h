#pragma once
// The address space: mmap, brk, mremap are re-executed in replay and must give the same
// addresses. A file mapping is re-created from the copy of the file saved in the trace when it
// was mapped, so replay sees the recorded contents even after the file changed.
#include "plugins/Plugin.h"

namespace ckrr {

class MemoryPlugin : public Plugin {
 public:
  const char* name() const override { return "memory"; }
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;
  void replay_entry(SyscallContext& ctx) override;
};

}  // namespace ckrr
