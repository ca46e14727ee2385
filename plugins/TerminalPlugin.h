#pragma once
// ioctl, mostly terminal queries (isatty, window size, process groups). Each request is known
// by the size of what the kernel writes; an unknown request runs and is recorded from its _IOC
// encoding or conservatively (named in `ckrr info`), never stopping the recording.
#include "plugins/Plugin.h"

namespace ckrr {

class TerminalPlugin : public Plugin {
 public:
  const char* name() const override { return "terminal"; }
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;
  void replay_exit(SyscallContext& ctx) override;
};

}  // namespace ckrr
