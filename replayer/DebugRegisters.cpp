#include "replayer/DebugRegisters.h"

#include <sys/ptrace.h>
#include <sys/user.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "core/Error.h"

namespace ckrr {

namespace {

uint64_t dr_offset(int n) {
  return offsetof(struct user, u_debugreg) + n * sizeof(uint64_t);
}

void poke_dr(pid_t tid, int n, uint64_t v) {
  if (ptrace(PTRACE_POKEUSER, tid, dr_offset(n), v) != 0)
    throw Error("cannot set debug register DR" + std::to_string(n) + ": " + strerror(errno));
}

uint64_t peek_dr(pid_t tid, int n) {
  errno = 0;
  long v = ptrace(PTRACE_PEEKUSER, tid, dr_offset(n), 0);
  if (errno) throw Error("cannot read debug register DR" + std::to_string(n));
  return static_cast<uint64_t>(v);
}

// DR7 LEN field: 00 = 1 byte, 01 = 2, 11 = 4, 10 = 8.
uint64_t len_bits(size_t len) {
  switch (len) {
    case 1:
      return 0;
    case 2:
      return 1;
    case 8:
      return 2;
    default:
      return 3;
  }
}

}  // namespace

bool plan_debug_slots(const std::vector<HwWatch>& watches, std::vector<DebugSlot>& out) {
  out.clear();
  for (size_t i = 0; i < watches.size(); ++i) {
    if (watches[i].exec) {
      out.push_back({watches[i].addr, 1, watches[i].kind, i, true});
      continue;
    }
    uint64_t a = watches[i].addr, end = watches[i].addr + watches[i].len;
    while (a < end) {
      // The largest aligned piece that starts at a and stays inside the watch.
      size_t len = 8;
      while (len > 1 && ((a & (len - 1)) || a + len > end)) len /= 2;
      out.push_back({a, len, watches[i].kind, i, false});
      a += len;
    }
  }
  return out.size() <= 4;
}

void DebugRegisters::apply(pid_t tid, const std::vector<DebugSlot>& slots) {
  auto it = applied_.find(tid);
  if (it != applied_.end() && it->second == slots) return;
  // Disable first: the kernel checks each address against the enabled lengths in DR7.
  poke_dr(tid, 7, 0);
  uint64_t dr7 = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    poke_dr(tid, static_cast<int>(i), slots[i].addr);
    // RW: 00 instruction (LEN must be 00), 01 write, 11 read or write (x86 has no read-only
    // data breakpoint).
    uint64_t rw = slots[i].exec ? 0 : slots[i].kind == gdb::WatchKind::Write ? 1 : 3;
    uint64_t len = slots[i].exec ? 0 : len_bits(slots[i].len);
    dr7 |= 1ull << (2 * i);
    dr7 |= (rw | (len << 2)) << (16 + 4 * i);
  }
  if (dr7) poke_dr(tid, 7, dr7);
  applied_[tid] = slots;
}

DebugRegisters::Status DebugRegisters::take_status(pid_t tid) {
  uint64_t dr6 = peek_dr(tid, 6);
  Status s;
  s.slots = static_cast<unsigned>(dr6 & 0xf);
  s.single_step = (dr6 >> 14) & 1;
  if (dr6 & 0x400f) poke_dr(tid, 6, 0);
  return s;
}

}  // namespace ckrr
