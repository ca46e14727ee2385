#include "core/SeccompFilter.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "core/ScratchPage.h"

namespace ckrr {

std::vector<sock_filter> build_seccomp_filter(const std::vector<int>& allowed) {
  std::vector<sock_filter> f;
  auto stmt = [&](uint16_t code, uint32_t k) { f.push_back(BPF_STMT(code, k)); };
  auto jump = [&](uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
    f.push_back(BPF_JUMP(code, k, jt, jf));
  };
  const uint32_t ret_trace = SECCOMP_RET_TRACE;
  // Another architecture (32-bit int 0x80 entry): always trace, the supervisor refuses it.
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  stmt(BPF_RET | BPF_K, ret_trace);
  // Syscalls from the injection instruction are the supervisor's own: allow. seccomp reports the
  // address after the syscall instruction; compare both 32-bit halves.
  // The agent's instruction (agent/AgentAbi.h) likewise: its calls are buffered in the app.
  static_assert(kInjectReturnAddr >> 32 == kAgentReturnAddr >> 32);
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, instruction_pointer) + 4);
  jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(kInjectReturnAddr >> 32), 0, 4);
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, instruction_pointer));
  jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(kInjectReturnAddr), 1, 0);
  jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(kAgentReturnAddr), 0, 1);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  // The allow-list.
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  for (int nr : allowed) {
    jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1);
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  }
  stmt(BPF_RET | BPF_K, ret_trace);
  return f;
}

int install_seccomp_filter(const std::vector<sock_filter>& program) {
  sock_fprog prog{static_cast<unsigned short>(program.size()),
                  const_cast<sock_filter*>(program.data())};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return -errno;
  return 0;
}

}  // namespace ckrr
