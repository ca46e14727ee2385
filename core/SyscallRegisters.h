#pragma once
// Where x86-64 Linux keeps a syscall's number and arguments in the registers.
#include <cstdint>

#include "core/Task.h"

namespace ckrr {

// rdi, rsi, rdx, r10, r8, r9 from a[0..5].
inline void set_syscall_args(Registers& r, const uint64_t* a) {
  r.rdi = a[0];
  r.rsi = a[1];
  r.rdx = a[2];
  r.r10 = a[3];
  r.r8 = a[4];
  r.r9 = a[5];
}

inline bool same_syscall_args(const Registers& r, const uint64_t* a) {
  return r.rdi == a[0] && r.rsi == a[1] && r.rdx == a[2] && r.r10 == a[3] && r.r8 == a[4] &&
         r.r9 == a[5];
}

// The kernel's internal "restart this call" results, seen at a syscall exit when a signal
// interrupted the call (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK).
inline bool is_restart_result(int64_t r) {
  return r == -512 || r == -513 || r == -514 || r == -516;
}

// A thread stopped in or right after a syscall, put back at its `syscall` instruction to make
// the call again when it runs (orig_rax -1: the kernel must not restart it a second time).
inline void rewind_to_syscall(Registers& r) {
  r.rip -= 2;
  r.rax = r.orig_rax;
  r.orig_rax = static_cast<uint64_t>(-1);
}

}  // namespace ckrr
