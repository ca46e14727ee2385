#pragma once
// Signals that reach `ckrr record` itself. ckrr shares the program's process group (so that the
// terminal's ^C reaches the program), so it also gets what the program sends to its whole group
// (kill(0, sig)): those must neither kill nor confuse it. From anyone else, SIGTERM, SIGHUP,
// SIGINT and the other signals that would kill ckrr end the recording (the program is killed,
// the trace stays complete) and SIGUSR2 asks for a checkpoint. ^C and ^\ from the terminal are
// the program's business (it gets them too); ckrr ignores the terminal's stop signals.
#include <sys/types.h>

#include <vector>

namespace ckrr {

struct SignalToRecorder {
  int sig = 0;
  pid_t sender = 0;  // 0: the kernel (a timer, the terminal)
};

// Installs the handlers; call before the program is launched. The program's own dispositions
// are read before this (LaunchOptions::ignored_signals).
void install_recorder_signal_handlers();

// Whether any arrived since the last take (one relaxed load: checked every loop turn).
bool signals_to_recorder_pending();

// The signals received since the last take, at most one per signal number (the last sender).
std::vector<SignalToRecorder> take_signals_to_recorder();

}  // namespace ckrr
