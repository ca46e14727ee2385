#pragma once
// Randomness from the kernel: getrandom. (Reads of /dev/urandom are file reads, recorded by the
// files plugin like any other read; rdrand/rdseed cannot be trapped on this CPU, see README.)
#include "plugins/Plugin.h"

namespace ckrr {

class RandomPlugin : public Plugin {
 public:
  const char* name() const override { return "random"; }
  void record_exit(SyscallContext& ctx) override;
};

}  // namespace ckrr
