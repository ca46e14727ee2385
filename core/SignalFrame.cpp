#include "core/SignalFrame.h"

#include <signal.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace ckrr {

namespace {
// x86-64 rt_sigframe at rsp: pretcode (8), then ucontext: uc_flags (8), uc_link (8),
// uc_stack (24), uc_mcontext (struct sigcontext: r8-r15, rdi..rip, eflags = 144 bytes, cs gs fs
// ss = 8, then err, trapno, oldmask, cr2).
constexpr uint64_t kMcontext = 8 + 8 + 8 + 24;
constexpr uint64_t kIp = kMcontext + 128;
constexpr uint64_t kErr = kMcontext + 152;
constexpr uint64_t kTrapno = kMcontext + 160;
constexpr uint64_t kCr2 = kMcontext + 176;
}  // namespace

bool has_signal_handler(pid_t tid, int sig) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("SigCgt:", 0) == 0)
      return (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1;
  return false;
}

std::optional<TaskStop> deliver_async_signal(Task& t, int sig, uint64_t interrupted_rip,
                                             Registers* entry) {
  t.single_step(sig);
  TaskStop s = t.wait();
  if (s.kind != TaskStop::Kind::Signal || s.sig != SIGTRAP) return s;
  if (entry) *entry = t.regs();
  uint64_t sp = t.regs().rsp;
  uint64_t ip = 0;
  // Only a frame that is the one just built (its saved rip is where the thread was).
  if (t.try_read(sp + kIp, &ip, sizeof ip) && ip == interrupted_rip) {
    const uint64_t zero = 0;
    t.write(sp + kErr, &zero, sizeof zero);
    t.write(sp + kTrapno, &zero, sizeof zero);
    t.write(sp + kCr2, &zero, sizeof zero);
  }
  t.cont();
  return std::nullopt;
}

}  // namespace ckrr
