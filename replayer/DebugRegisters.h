#pragma once
// x86 debug registers of a traced thread, through PTRACE_POKEUSER at offsetof(struct user,
// u_debugreg): DR0-DR3 hold addresses, DR7 enables them (length and read/write kind), DR6 says
// which one fired. The kernel keeps them per thread; they survive stops but not exec.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <vector>

#include "replayer/gdb/DebugTarget.h"

namespace ckrr {

struct HwWatch {
  uint64_t addr = 0;
  size_t len = 0;
  gdb::WatchKind kind = gdb::WatchKind::Write;
  // An instruction breakpoint at addr instead (len ignored): it traps before the instruction
  // and changes no code, so it may sit on an address that is not an instruction boundary.
  bool exec = false;
  bool operator==(const HwWatch&) const = default;
  auto operator<=>(const HwWatch&) const = default;
};

// One debug register slot: an aligned 1/2/4/8-byte piece of a watch.
struct DebugSlot {
  uint64_t addr = 0;
  size_t len = 0;
  gdb::WatchKind kind = gdb::WatchKind::Write;
  size_t watch = 0;  // index of the HwWatch it belongs to
  bool exec = false;
  bool operator==(const DebugSlot&) const = default;
};

// Splits watches into aligned slots; false when they need more than the 4 registers.
bool plan_debug_slots(const std::vector<HwWatch>& watches, std::vector<DebugSlot>& out);

class DebugRegisters {
 public:
  // Programs the thread's registers for `slots` (skips the syscalls when nothing changed).
  // Throws ckrr::Error when the kernel refuses.
  void apply(pid_t tid, const std::vector<DebugSlot>& slots);
  // Which slots fired since the last clear (DR6 bits 0-3) and whether it was a single step
  // (DR6.BS); clears DR6.
  struct Status {
    unsigned slots = 0;
    bool single_step = false;
  };
  Status take_status(pid_t tid);
  // The threads are new ones (restored, re-launched), or someone else programmed them: program
  // them again at the next apply.
  void forget() { applied_.clear(); }

 private:
  std::map<pid_t, std::vector<DebugSlot>>
      applied_;  // by real tid: the kernel keeps them per thread
};

}  // namespace ckrr
