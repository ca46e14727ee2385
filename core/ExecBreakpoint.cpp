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
  poke(tid, 7, 0);  // the kernel validates DR0 against the DR7 in force
  poke(tid, 0, addr);
  poke(tid, 7, 1);  // L0, execute (R/W0 = 00, LEN0 = 00)
}

void clear(pid_t tid) {
  if (ptrace(PTRACE_POKEUSER, tid, dr_offset(7), 0) != 0 && errno != ESRCH)
    throw Error(errno_text("ptrace(POKEUSER DR7)", errno));
}

bool take_hit(pid_t tid) {
  errno = 0;
  long dr6 = ptrace(PTRACE_PEEKUSER, tid, dr_offset(6), nullptr);
  if (errno != 0) return false;
  if (dr6 & 1) ptrace(PTRACE_POKEUSER, tid, dr_offset(6), 0);
  return dr6 & 1;
}

}  // namespace ckrr::exec_breakpoint
