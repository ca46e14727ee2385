#pragma once
// A point in a thread's user code between two syscalls, described so that replay can find it
// again without a branch counter: the full register set plus a digest of the stack page. Replay
// runs the thread with a hardware execution breakpoint at rip and takes the first hit whose
// registers and stack digest match. A loop that revisits the same registers and stack is
// ambiguous: the first match is taken (for a spin loop with invariant state every match is the
// same state); anything else that differs shows as a divergence at the thread's next event.
#include <cstdint>
#include <vector>

#include "core/Task.h"

namespace ckrr {

struct ExecutionPoint {
  Registers regs{};
  uint64_t stack_digest = 0;
};

// Whether two register sets describe the same point of execution (the kernel may have changed
// nothing else between a syscall's return and a signal stop there).
inline bool same_position(const Registers& a, const Registers& b) {
  return a.rip == b.rip && a.rsp == b.rsp && a.rax == b.rax && a.rbx == b.rbx && a.rcx == b.rcx &&
         a.rdx == b.rdx && a.rsi == b.rsi && a.rdi == b.rdi && a.rbp == b.rbp && a.r8 == b.r8 &&
         a.r9 == b.r9 && a.r10 == b.r10 && a.r11 == b.r11 && a.r12 == b.r12 && a.r13 == b.r13 &&
         a.r14 == b.r14 && a.r15 == b.r15;
}

// FNV-1a of the 4 KiB page that holds rsp (0 when it cannot be read).
uint64_t stack_digest(Task& t, uint64_t rsp);
ExecutionPoint capture_point(Task& t);
// False inside a rep-prefixed string instruction (rep movs...): an interrupt can stop it between
// iterations, but an execution breakpoint fires only before its first one.
bool findable_point(Task& t, const Registers& regs);
// The decoding behind it: whether code (at most 15 bytes) starts with a rep/repne string
// instruction (movs, stos, lods, cmps, scas, ins, outs), prefixes included.
bool is_rep_string_insn(const uint8_t* code, size_t n);
// Places on the stack where the thread will come back after a call returns, innermost first
// (words of the stack that point right after a call instruction in executable memory; at most
// max). A point there is found in replay after few breakpoint hits, unlike one in a hot loop.
std::vector<uint64_t> return_sites(Task& t, const Registers& regs, size_t max);
// The registers that identify a point: all general registers, rip, rsp and the arithmetic
// flags (not RF/TF, which the debug machinery changes), fs_base.
bool same_point_registers(const Registers& a, const Registers& b);

}  // namespace ckrr
