#pragma once
// execve in a process with several threads, under ptrace (see ptrace(2), "execve(2) under
// ptrace"): the kernel kills the other threads and waits until each is reaped, so the tracer
// must collect them while it waits; a caller that is not the leader comes back from the call
// with the process's pid as its tid, reported at that pid.
#include <sys/types.h>

#include <functional>
#include <set>
#include <vector>

#include "core/Task.h"
#include "core/TaskStop.h"

namespace ckrr {

// Waits for the outcome of the execve that `t` (resumed into the call) makes: its exec event
// (t then knows its new tid) or any other stop of the caller (the call failed, the process was
// killed). Meanwhile collects `others` (the process's other threads) as they die, into
// `reaped`; any other status of theirs, or of the old leader, goes to `stale` (a stop from
// before the exec, still to be handled if the exec fails).
TaskStop wait_threaded_exec(Task& t, const std::vector<pid_t>& others, std::set<pid_t>& reaped,
                            const std::function<void(pid_t, int)>& stale);

// After the exec event: collects the other threads not reaped yet (the old leader, whose pid
// the caller took, is never reported).
void reap_ended_threads(pid_t tgid, const std::vector<pid_t>& others,
                        const std::set<pid_t>& reaped);

}  // namespace ckrr
