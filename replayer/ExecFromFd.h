#pragma once
// Replay of an exec that names its program by an fd (fexecve, execveat with AT_EMPTY_PATH, a
// memfd holding a program). Replay has no real fd there (files are emulated), so the program
// saved in the trace at the exec is put in a memfd at that fd number, and the call made again.
#include <functional>
#include <string>

#include "core/Task.h"
#include "plugins/ProcessState.h"
#include "storage/Event.h"

namespace ckrr {

// Whether the call at this seccomp stop (regs of the exec) names its program by an fd.
bool exec_names_fd(long nr, const Registers& regs);

// At the seccomp stop of such an exec: skips it, gives the process a real fd holding the
// program at `stored_file` (close-on-exec as the app's fd was), makes the call again and
// returns at its new seccomp stop. skip_call turns the pending call into a no-op and runs to its
// exit stop (ReplaySession::finish_skipped).
void provide_exec_fd(Task& t, const ProcessState& proc, const std::string& stored_file,
                     const std::function<void(Task&)>& skip_call);

}  // namespace ckrr
