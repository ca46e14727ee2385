#pragma once
// The state of a stopped process, printed by `ckrr replay --print-state`: registers (rip,
// fs_base...), the symbol at rip, a digest of the contents of its writable memory, and a digest
// of its fd table. The same event reached any way must print the same state.
#include <ostream>
#include <string>

#include "core/Task.h"
#include "plugins/ProcessState.h"

namespace ckrr {

struct ProcessSnapshotText {
  std::string text;           // the lines printed
  std::string memory_digest;  // sha256 hex
  std::string fds_digest;
};

ProcessSnapshotText describe_state(Task& t, const ProcessState& proc, uint64_t seq,
                                   int32_t recorded_tid);

}  // namespace ckrr
