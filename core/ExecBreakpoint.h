#pragma once
// One hardware execution breakpoint in DR0 of a traced thread, for finding an ExecutionPoint
// (recorder: spin detection; replayer: preemption points). Kept apart from the debugger's
// DebugRegisters so the engine does not depend on the gdb layer.
#include <sys/types.h>

#include <cstdint>

namespace ckrr {

namespace exec_breakpoint {
// Arms DR0 at addr (the thread must be stopped). Throws Error when the kernel refuses.
void set(pid_t tid, uint64_t addr);
void clear(pid_t tid);
// Whether DR0 fired since the last check; clears DR6.
bool take_hit(pid_t tid);
}  // namespace exec_breakpoint

}  // namespace ckrr
