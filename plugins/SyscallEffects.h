#pragma once
// What the syscall table describes of a call, applied: the memory the kernel wrote (recorded
// from the table's `writes`) and the fd it returned (the fd table, kept the same way in record
// and replay). Plugins whose calls are irregular do this in their own code ("code" entries).
#include "plugins/Plugin.h"

namespace ckrr {

// Record, after the call ran: plugin.record_exit, then the table's writes and fd.
void record_call_exit(Plugin& plugin, SyscallContext& ctx);
// Replay, after the generic action: plugin.replay_exit, then the table's fd.
void replay_call_exit(Plugin& plugin, SyscallContext& ctx);

// Captures the bytes described by one `writes` notation (see SyscallSpec) at the context's
// arguments and result. Throws Error on a malformed notation (a bug in the table).
void capture_described_writes(SyscallContext& ctx, const char* writes);
// Throws Error when a `writes` notation is malformed (the table's unit test walks them all).
void check_writes_notation(const char* writes);

}  // namespace ckrr
