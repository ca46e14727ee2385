#pragma once
// One hardware execution breakpoint in DR0 of a traced thread, for finding an ExecutionPoint
// (recorder: spin detection; replayer: preemption points). Kept apart from the debugger's
// DebugRegisters so the engine does not depend on the gdb layer.
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <vector>

namespace ckrr {

namespace exec_breakpoint {
// Arms DR0 at addr (the thread must be stopped). Throws Error when the kernel refuses.
void set(pid_t tid, uint64_t addr);
// Arms DR0.. at up to 4 addresses.
void set_all(pid_t tid, const std::vector<uint64_t>& addrs);
void clear(pid_t tid);
// DR0-3 at these addresses (0: that one off).
void program(pid_t tid, const std::array<uint64_t, 4>& addrs);
// Whether DR0 fired since the last check; clears DR6.
bool take_hit(pid_t tid);
// Which of DR0-3 fired (bits 0-3); clears DR6.
unsigned take_hits(pid_t tid);
}  // namespace exec_breakpoint

}  // namespace ckrr
