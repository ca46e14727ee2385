#pragma once
// Readiness: poll, select, epoll. Which fds were ready is an input from the outside world.
#include "plugins/Plugin.h"

namespace ckrr {

class PollPlugin : public Plugin {
 public:
  const char* name() const override { return "poll"; }
  void record_exit(SyscallContext& ctx) override;
  void replay_exit(SyscallContext& ctx) override;

 private:
  void apply_fd_effects(SyscallContext& ctx);
};

}  // namespace ckrr
