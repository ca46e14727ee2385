#pragma once
// The seccomp-bpf program a traced process runs under: SECCOMP_RET_TRACE (a stop at the
// supervisor) for every syscall except an allow-list of syscalls that are deterministic given
// the process state, and except syscalls made from ckrr's own injection instruction.
#include <linux/filter.h>

#include <vector>

namespace ckrr {

std::vector<sock_filter> build_seccomp_filter(const std::vector<int>& allowed_syscalls);

// Installs it in the calling process (used in the child between fork and exec).
// Returns 0 or -errno.
int install_seccomp_filter(const std::vector<sock_filter>& program);

}  // namespace ckrr
