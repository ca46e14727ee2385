#pragma once
// The address space: mmap, brk, mremap are re-executed in replay and must give the same
// addresses. A file mapping is re-created from the copy of the file saved in the trace when it
// was mapped, so replay sees the recorded contents even after the file changed. Writable
// shared mappings of one file (or memfd) share one copy in replay, whichever process maps it,
// so processes see each other's writes as they did when recording.
#include <map>
#include <utility>

#include "plugins/Plugin.h"

namespace ckrr {

class MemoryPlugin : public Plugin {
 public:
  const char* name() const override { return "memory"; }
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;
  void replay_entry(SyscallContext& ctx) override;
  ~MemoryPlugin() override;

 private:
  // Replay: the shared copy of each recorded file (st_dev, st_ino), held open by ckrr; the
  // processes open it through /proc/<ckrr>/fd/N.
  std::map<std::pair<uint64_t, uint64_t>, int> shared_copies_;
};

}  // namespace ckrr
