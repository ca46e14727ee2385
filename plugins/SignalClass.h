#pragma once
// How the sessions classify a signal stop. Shared by record and replay so both decide alike.
#include <signal.h>

#include "core/ExecutionPoint.h"

namespace ckrr {

// Raised by the CPU at the instruction that faulted: replay reaches it by itself.
inline bool is_synchronous_fault(int sig, const siginfo_t& si) {
  bool fault_sig = sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
                   sig == SIGTRAP || sig == SIGSYS;
  return fault_sig && (si.si_code > 0 || si.si_code == SI_KERNEL);
}

inline bool is_stop_signal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

}  // namespace ckrr
