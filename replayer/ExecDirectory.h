#pragma once
// Replay of an exec from the directory it was made in. Replay emulates chdir and fchdir (their
// directories may not exist here, and emulated fds have no real directory behind them), so the
// replayed process's real working directory can differ from the recorded one; a relative
// program path ("./prog", "sh -c 'cd sub && ./run'") would then name another file.
#include <functional>
#include <string>

#include "core/Task.h"

namespace ckrr {

// At the seccomp stop of an exec recorded in directory `cwd`: when the process's real working
// directory is another, skips the call, changes directory (injected chdir), makes the call
// again and returns at its new seccomp stop. Throws Error when `cwd` does not exist here.
// skip_call is as for provide_exec_fd.
void exec_in_directory(Task& t, const std::string& cwd,
                       const std::function<void(Task&)>& skip_call);

}  // namespace ckrr
