#pragma once
// Process lifecycle: exec, exit, thread-area setup, prctl, rseq (refused with ENOSYS, so glibc
// runs without it: the kernel would otherwise write the current CPU into app memory), and the
// process/thread creation calls that this version does not record yet.
#include "plugins/Plugin.h"

namespace ckrr {

class LifecyclePlugin : public Plugin {
 public:
  const char* name() const override { return "lifecycle"; }
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;

 private:
  void report_app_tracee_stop(SyscallContext& ctx);
};

}  // namespace ckrr
