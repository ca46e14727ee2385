#pragma once
// The vDSO answers clock_gettime, gettimeofday, time and getcpu inside the process, from the
// TSC and a kernel data page, without a syscall that ckrr could record. Programs find it through
// AT_SYSINFO_EHDR (libc, Go's runtime, JITs parse its ELF), so rather than hiding it, each of its
// entry points is overwritten, in record and replay alike, with `mov $NR, %eax; syscall; ret`:
// the same call as a real syscall, which ckrr records. getrandom's entry (a different ABI)
// returns -ENOSYS, so callers use the syscall.
#include <cstdint>

#include "core/Task.h"

namespace ckrr {

// Patches the vDSO mapped at base in the process. Returns how many entry points it patched;
// throws Error when the vDSO cannot be parsed (a program then must not run with it).
int patch_vdso(Task& t, uint64_t base);

}  // namespace ckrr
