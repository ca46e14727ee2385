#pragma once
// Sockets: replay feeds the recorded data and results; no peer is needed (protocol
// virtualization at the syscall level).
#include "plugins/Plugin.h"

namespace ckrr {

class NetPlugin : public Plugin {
 public:
  const char* name() const override { return "net"; }
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;
  void replay_exit(SyscallContext& ctx) override;

 private:
  void apply_fd_effects(SyscallContext& ctx);
};

}  // namespace ckrr
