#include "core/RemoteSyscall.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include <cstring>

#include "core/Error.h"
#include "core/SyscallRegisters.h"
#include "core/TaskGone.h"

namespace ckrr {

long remote_syscall_checked(Task& t, const std::string& what, long nr,
                            std::initializer_list<uint64_t> args) {
  long r = remote_syscall(t, nr, args);
  if (r < 0 && r > -4096)
    throw Error(errno_text(what + " in process " + std::to_string(t.tid()), static_cast<int>(-r)));
  return r;
}

long inject_syscall_anywhere(Task& t, uint64_t insn, long nr,
                             std::initializer_list<uint64_t> args) {
  const Registers saved = t.regs();
  Registers r = saved;
  uint64_t a[6] = {};
  size_t i = 0;
  for (uint64_t v : args) a[i++] = v;
  r.rax = static_cast<uint64_t>(nr);
  r.orig_rax = static_cast<uint64_t>(-1);
  set_syscall_args(r, a);
  r.rip = insn;
  t.set_regs(r);
  // Entry stop, then (if the filter traces it) a seccomp stop, then the exit stop.
  int syscall_stops = 0;
  while (syscall_stops < 2) {
    t.resume_syscall();
    TaskStop s = t.wait();
    if (s.kind == TaskStop::Kind::SyscallStop)
      ++syscall_stops;
    else if (s.gone())
      throw TaskGone(t.tid(), "injected syscall " + std::to_string(nr) + ": " + s.describe());
    else if (s.kind != TaskStop::Kind::Seccomp)
      throw Error("injected syscall " + std::to_string(nr) + ": unexpected " + s.describe());
  }
  long result = static_cast<long>(t.regs().rax);
  t.set_regs(saved);
  return result;
}

void map_scratch_page(Task& t, uint64_t insn) {
  long r =
      inject_syscall_anywhere(t, insn, SYS_mmap,
                              {kScratchPageAddr, kScratchPageSize, PROT_READ | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, uint64_t(-1), 0});
  if (r != static_cast<long>(kScratchPageAddr))
    throw Error("cannot map ckrr's scratch page at 0x70000000 (result " + std::to_string(r) + ")");
  t.write(kScratchPageAddr, kScratchCode, sizeof kScratchCode);
}

uint64_t stage_string(Task& t, const std::string& s) {
  if (s.size() + 1 > kScratchDataSize) throw Error("path too long for ckrr's scratch page: " + s);
  t.write(kScratchDataAddr, s.c_str(), s.size() + 1);
  return kScratchDataAddr;
}

void before_pending_call(Task& t, const std::function<void(Task&)>& skip_call,
                         const std::function<void(const Registers& entry)>& work,
                         const std::string& what) {
  const Registers entry = t.regs();
  skip_call(t);
  work(entry);
  Registers again = entry;
  again.rip -= 2;  // back onto the `syscall` instruction
  again.rax = entry.orig_rax;
  t.set_regs(again);
  t.cont();
  TaskStop s = t.wait();
  if (s.kind != TaskStop::Kind::Seccomp)
    throw Error(what + " did not start again (" + s.describe() + ")");
}

}  // namespace ckrr
