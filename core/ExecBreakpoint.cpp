#include "core/ExecBreakpoint.h"

#include <sys/ptrace.h>
#include <sys/user.h>

#include <cerrno>
#include <cstddef>

#include "core/Error.h"

namespace ckrr::exec_breakpoint {

namespace {
long dr_offset(int i) {
  return static_cast<long>(offsetof(struct user, u_debugreg) + i * sizeof(long));
}
void poke(pid_t tid, int i, unsigned long v) {
  if (ptrace(PTRACE_POKEUSER, tid, dr_offset(i), v) != 0)
    throw Error(errno_text("ptrace(POKEUSER DR" + std::to_string(i) + ")", errno));
}
}  // namespace

void set(pid_t tid, uint64_t addr) {
  set_all(tid, {addr});
}

void set_all(pid_t tid, const std::vector<uint64_t>& addrs) {
  poke(tid, 7, 0);  // the kernel validates each address against the DR7 in force
  unsigned long dr7 = 0;
  for (size_t i = 0; i < addrs.size() && i < 4; ++i) {
    poke(tid, static_cast<int>(i), addrs[i]);
    dr7 |= 1ul << (2 * i);  // Li, execute (R/Wi = 00, LENi = 00)
  }
  poke(tid, 7, dr7);
}

void program(pid_t tid, const std::array<uint64_t, 4>& addrs) {
  poke(tid, 7, 0);
  unsigned long dr7 = 0;
  for (int i = 0; i < 4; ++i) {
    if (!addrs[i]) continue;
    poke(tid, i, addrs[i]);
    dr7 |= 1ul << (2 * i);
  }
  if (dr7) poke(tid, 7, dr7);
}

void clear(pid_t tid) {
  if (ptrace(PTRACE_POKEUSER, tid, dr_offset(7), 0) != 0 && errno != ESRCH)
    throw Error(errno_text("ptrace(POKEUSER DR7)", errno));
}

bool take_hit(pid_t tid) {
  return take_hits(tid) & 1;
}

unsigned take_hits(pid_t tid) {
  errno = 0;
  long dr6 = ptrace(PTRACE_PEEKUSER, tid, dr_offset(6), nullptr);
  if (errno != 0) return 0;
  if (dr6 & 15) ptrace(PTRACE_POKEUSER, tid, dr_offset(6), 0);
  return static_cast<unsigned>(dr6 & 15);
}

}  // namespace ckrr::exec_breakpoint
