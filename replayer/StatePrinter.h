#pragma once
// The state of a stopped process, printed by `ckrr replay --print-state`: registers (rip,
// fs_base...), the symbol at rip, a digest of the contents of its writable memory, and a digest
// of its fd table. The same event reached any way must print the same state.
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/MemoryMap.h"
#include "core/Task.h"
#include "plugins/ProcessState.h"

namespace ckrr {

struct ProcessSnapshotText {
  std::string text;           // the lines printed
  std::string memory_digest;  // sha256 hex
  std::string fds_digest;
};

// The mapping to read symbols through: a restored process maps checkpoint page files, so the
// resolver gives back the original file (or its saved copy) with its original start and file
// offset. Unset: the mapping as the kernel shows it.
using MappingFileResolver = std::function<Mapping(const Mapping&)>;

// Stack below a thread's red zone (rsp - 128) is dead by the ABI: the kernel builds signal
// frames there, whose FPU area carries CPU bookkeeping (XSAVE's in-use bits) that varies from
// run to run. The digest leaves it out: these ranges, plus t's own, count as zero.
using DeadRanges = std::vector<std::pair<uint64_t, uint64_t>>;
DeadRanges dead_stack_of(pid_t tid, uint64_t rsp);

ProcessSnapshotText describe_state(Task& t, const ProcessState& proc, uint64_t seq,
                                   int32_t recorded_tid, const MappingFileResolver& resolve = {},
                                   const DeadRanges& other_threads_dead = {});

}  // namespace ckrr
