#pragma once
// What the system says about itself: uname, sysinfo, resource limits and usage, CPU affinity.
#include "plugins/Plugin.h"

namespace ckrr {

class SystemInfoPlugin : public Plugin {
 public:
  const char* name() const override { return "sysinfo"; }
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;
};

}  // namespace ckrr
