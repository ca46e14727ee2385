#pragma once
// Which syscalls may wait for another recorded thread or process (a pipe's other end, a futex
// wake, a child's exit, a timer). With several threads recorded, such a call gets an `enter`
// event and the others run while it waits; every other call runs while the rest stay stopped
// (a call that turns out to block anyway is noticed by a timeout; see RecordSession).
#include <cstdint>
#include <optional>

#include "core/Task.h"
#include "plugins/ProcessState.h"

namespace ckrr {

bool may_block(int nr, const uint64_t* args, const ProcessState& proc);

// The signal mask a waiting call installs while it waits (sigsuspend, ppoll, epoll_pwait,
// pselect6), as an address in the app; nullopt for calls that install none. Until such a call
// is back in user mode the kernel keeps the mask to restore.
std::optional<uint64_t> temporary_mask(Task& t, long nr, const uint64_t* args);

}  // namespace ckrr
