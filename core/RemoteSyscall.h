#pragma once
// Syscalls run inside a stopped traced process from ckrr's scratch page (which the seccomp
// filter lets through without a stop), with arguments staged in the page's scratch data area.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

#include "core/ScratchPage.h"
#include "core/Task.h"

namespace ckrr {

inline long remote_syscall(Task& t, long nr, std::initializer_list<uint64_t> args) {
  return t.inject_syscall(kInjectSyscallAddr, true, nr, args);
}

// Like remote_syscall, but throws Error naming `what` when the result is an error.
long remote_syscall_checked(Task& t, const std::string& what, long nr,
                            std::initializer_list<uint64_t> args);

// Runs one syscall from the `syscall` instruction at insn, wherever it is and whether or not
// the seccomp filter lets it through (it goes via ptrace syscall-entry/exit stops): for the
// first syscalls of a process that has no scratch page yet. Registers are restored afterwards.
long inject_syscall_anywhere(Task& t, uint64_t insn, long nr, std::initializer_list<uint64_t> args);

// Maps ckrr's scratch page (ScratchPage.h) in a process that has none, using the `syscall`
// instruction at insn. Throws Error.
void map_scratch_page(Task& t, uint64_t insn);

// At a syscall's seccomp stop, runs `work` (injected syscalls) before the call: skip_call turns
// the pending call into a no-op run to its exit stop, then work(entry registers) runs, then the
// same call is made again from its `syscall` instruction. Returns at its new seccomp stop;
// throws Error naming `what` when it does not stop there.
void before_pending_call(Task& t, const std::function<void(Task&)>& skip_call,
                         const std::function<void(const Registers& entry)>& work,
                         const std::string& what);

// Writes a NUL-terminated string at the start of the scratch data; returns its address.
uint64_t stage_string(Task& t, const std::string& s);

}  // namespace ckrr
