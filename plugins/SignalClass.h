#pragma once
// How the sessions classify a signal stop. Shared by record and replay so both decide alike.
#include <signal.h>

#include "core/Task.h"

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

// Whether two register sets describe the same point of execution (the kernel may have changed
// nothing else between a syscall's return and a signal stop there).
inline bool same_position(const Registers& a, const Registers& b) {
  return a.rip == b.rip && a.rsp == b.rsp && a.rax == b.rax && a.rbx == b.rbx && a.rcx == b.rcx &&
         a.rdx == b.rdx && a.rsi == b.rsi && a.rdi == b.rdi && a.rbp == b.rbp && a.r8 == b.r8 &&
         a.r9 == b.r9 && a.r10 == b.r10 && a.r11 == b.r11 && a.r12 == b.r12 && a.r13 == b.r13 &&
         a.r14 == b.r14 && a.r15 == b.r15;
}

}  // namespace ckrr
