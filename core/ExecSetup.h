#pragma once
// Prepares a process that just exec'd (at the syscall-exit stop of its execve, after the
// PTRACE_EVENT_EXEC stop: injecting at the exec stop itself would have its rax overwritten by
// execve's return value), identically in record and
// replay:
//  - redirects the vDSO's entry points to real syscalls (VdsoPatch), so clock_gettime,
//    gettimeofday, time and getcpu become calls ckrr records, however the program finds them;
//  - sets AT_RANDOM's 16 bytes (record: reads them; replay: writes the recorded ones), since the
//    kernel draws them anew at every exec and libc derives stack canaries from them;
//  - maps ckrr's scratch page (see ScratchPage.h).
#include <cstdint>
#include <optional>
#include <vector>

#include "core/Task.h"

namespace ckrr {

struct ExecInfo {
  std::vector<uint8_t> auxv;    // the auxv as the app sees it (after patching)
  std::vector<uint8_t> random;  // the 16 AT_RANDOM bytes
  uint64_t vdso = 0;
  uint64_t entry = 0;  // AT_ENTRY
};

// random: the bytes to put at AT_RANDOM (replay), or nullopt to keep the kernel's (record).
ExecInfo prepare_exec(Task& t, const std::optional<std::vector<uint8_t>>& random);

}  // namespace ckrr
