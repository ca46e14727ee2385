#pragma once
// Process and user ids. The app only ever sees the ids of the recording (virtual ids): in
// replay getpid() returns the recorded pid although the real one differs.
#include "plugins/Plugin.h"

namespace ckrr {

class IdsPlugin : public Plugin {
 public:
  const char* name() const override { return "ids"; }
  void record_exit(SyscallContext& ctx) override;
};

}  // namespace ckrr
