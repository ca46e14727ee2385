#pragma once
// Signal syscalls. Signal handlers and masks are process state (run natively); sending a signal
// to itself is re-executed (the kernel then delivers it at the same point in replay); sending
// to another process is emulated. Signal *delivery* is scheduled by the sessions, which record
// each delivered signal as an event (see docs/ARCHITECTURE.md).
#include "plugins/Plugin.h"

namespace ckrr {

class SignalPlugin : public Plugin {
 public:
  const char* name() const override { return "signals"; }
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;
  void replay_entry(SyscallContext& ctx) override;
};

}  // namespace ckrr
