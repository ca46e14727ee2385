#pragma once
// ioctl, mostly terminal queries (isatty, window size, process groups). Each request is known
// by the size of what the kernel writes; an unknown request stops the recording with its
// number and the fd it was made on, rather than being passed through unrecorded.
#include "plugins/Plugin.h"

namespace ckrr {

class TerminalPlugin : public Plugin {
 public:
  const char* name() const override { return "terminal"; }
  std::vector<SyscallClaim> claims() const override;
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;
  void replay_exit(SyscallContext& ctx) override;
};

}  // namespace ckrr
