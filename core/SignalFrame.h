#pragma once
// The signal frame the kernel builds for a handler holds, besides the interrupted registers,
// the thread's last exception (err, trapno, cr2). For an asynchronous signal those are left
// over from whatever trapped last — ckrr's own int3s and single-steps, page faults — which
// differ between record and replay. Delivering such a signal with one single-step stops the
// thread at the handler's first instruction, where ckrr clears the three words: the frame (and
// the dead stack it leaves) is then the same in record and replay.
#include <optional>

#include "core/Task.h"

namespace ckrr {

// Whether the thread's process has a handler installed for sig (SigCgt).
bool has_signal_handler(pid_t tid, int sig);
// Delivers the asynchronous signal sig (with a handler) and clears the frame's fault words;
// interrupted_rip is where the thread was. Returns nullopt with the task running in the
// handler, or the stop that came instead (the task stays stopped there). entry, when given,
// gets the registers at the handler's first instruction.
std::optional<TaskStop> deliver_async_signal(Task& t, int sig, uint64_t interrupted_rip,
                                             Registers* entry = nullptr);

}  // namespace ckrr
