#pragma once
// pwrite64 to /proc/PID/mem, a file through which a program writes memory the kernel would not
// let it write otherwise (gdb writes its breakpoints this way, and probes /proc/self/mem).
// Replay does not make file writes, so such a write is made again from the log: into the
// program's own memory as the call's memory effect, into a tracee's as a TraceeEffect.
#include "plugins/SyscallContext.h"

namespace ckrr {

// FilesPlugin, at a pwrite64's entry: a write by a tracer to its stopped tracee's
// /proc/PID/mem (or /proc/PID/task/TID/mem): made by ckrr and recorded for replay to make
// again (true: ctx answered). False: not such a write, the kernel makes it.
bool tracee_mem_write(SyscallContext& ctx);
// FilesPlugin, at a pwrite64's exit: a write into the caller's own memory, captured.
void capture_own_mem_write(SyscallContext& ctx);

}  // namespace ckrr
