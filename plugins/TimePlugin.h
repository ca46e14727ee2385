#pragma once
// Time: clock_gettime & co. (the vDSO is hidden from the app so these reach the kernel), sleeps
// (replay does not sleep), and rdtsc/rdtscp, which trap (PR_SET_TSC) and are emulated.
#include "plugins/Plugin.h"

namespace ckrr {

class TimePlugin : public Plugin {
 public:
  const char* name() const override { return "time"; }
  void record_exit(SyscallContext& ctx) override;
  bool record_fault(FaultContext& ctx) override;
  bool replay_fault(FaultContext& ctx) override;
  void on_exec(ProcessState& p) override;
};

}  // namespace ckrr
