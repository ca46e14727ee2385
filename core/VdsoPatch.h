#pragma once
// The vDSO answers clock_gettime, gettimeofday, time and getcpu inside the process, from the
// TSC and a kernel data page, without a syscall that ckrr could record. Programs find it through
// AT_SYSINFO_EHDR (libc, Go's runtime, JITs parse its ELF), so rather than hiding it, each of its
// entry points is overwritten, in record and replay alike, with `mov $NR, %eax; syscall; ret`:
// the same call as a real syscall, which ckrr records. getrandom's entry (a different ABI)
// returns -ENOSYS, so callers use the syscall.
#include <cstdint>
#include <utility>
#include <vector>

#include "core/Task.h"

namespace ckrr {

// Patches the vDSO mapped at base in the process. Returns how many entry points it patched;
// throws Error when the vDSO cannot be parsed (a program then must not run with it).
int patch_vdso(Task& t, uint64_t base);
// The in-process agent's entry points for some of those syscalls (nr -> address of a function
// with the vDSO's ABI): their vDSO entries become `movabs $addr, %rax; jmp *%rax`, so libc's
// own clock_gettime calls go through the agent's buffer too. Returns how many it redirected.
int redirect_vdso(Task& t, uint64_t base, const std::vector<std::pair<long, uint64_t>>& to);

}  // namespace ckrr
