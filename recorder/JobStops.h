#pragma once
// Job control of recorded programs: a stop signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) is
// delivered, so the process really stops (a group stop) and its parent's waitpid(WUNTRACED)
// sees it, as natively; the recorder then leaves its threads stopped until a SIGCONT is pending
// for them (nobody tells a tracer: it is read from /proc at each tick while some are stopped).
// Replay needs none of it: waits and their results come from the log.
#include <sys/types.h>

namespace ckrr {

// A stop reported as WSTOPSIG(stop signal) is a group stop, not a signal about to be
// delivered, when the kernel has no siginfo for it (PTRACE_GETSIGINFO: EINVAL).
bool in_group_stop(pid_t tid);

// Whether a SIGCONT is pending for the thread or its process (it ends the stop).
bool sigcont_pending(pid_t tid);

}  // namespace ckrr
