#pragma once
// SysV shared memory (shmget/shmat/shmdt/shmctl): the segment's memory is treated like a
// shared mapping. Replay creates a private segment of the recorded size for each recorded id
// (so replayed processes that attach the same id share it again, as when recording), attaches
// it at the recorded address, and removes its segments when it ends. Contents that existed
// before the recording (a segment another program created) or before a checkpoint are
// recorded at each attach but the first of a segment the recording created.
#include <map>
#include <set>

#include "plugins/Plugin.h"

namespace ckrr {

class SysvShmPlugin : public Plugin {
 public:
  ~SysvShmPlugin() override;
  const char* name() const override { return "sysv-shm"; }
  void record_exit(SyscallContext& ctx) override;
  void replay_entry(SyscallContext& ctx) override;
  void save_state(std::vector<uint8_t>& out) const override;
  void restore_state(const std::vector<uint8_t>& in) override;

 private:
  // The real segment standing for a recorded id in replay, created when first needed.
  int replay_segment(SyscallContext& ctx, int recorded_id, uint64_t size);

  std::set<int> created_;   // record: ids created by recorded processes
  std::set<int> attached_;  // record: ids attached at least once
  std::map<int, int> replay_ids_;  // replay: recorded id -> real id
};

}  // namespace ckrr
