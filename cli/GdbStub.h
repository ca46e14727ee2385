#pragma once
// Serving a replay to gdb, shared by `ckrr replay --gdb` and `ckrr debug`.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "replayer/ReplaySession.h"

namespace ckrr {

struct GdbStubOptions {
  pid_t pid = 0;      // recorded pid of the process to debug (0: the first)
  bool once = false;  // serve one gdb session, then end
};

// Replays to opt.to (or the program's start), listens on `address` ([HOST:]PORT), announces
// "ckrr: gdb stub listening on HOST:PORT" on stderr, calls listening(port), then serves gdb
// until it kills, detaches or disconnects.
void serve_replay_to_gdb(const ReplayOptions& opt, const std::string& address,
                         const GdbStubOptions& stub = {},
                         const std::function<void(uint16_t)>& listening = {});

}  // namespace ckrr
