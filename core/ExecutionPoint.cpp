#include "core/ExecutionPoint.h"

#include <algorithm>

#include "core/MemoryMap.h"

namespace ckrr {

uint64_t stack_digest(Task& t, uint64_t rsp) {
  // From rsp to the end of its page: the live stack only. Below rsp the bytes are dead and
  // hold leftovers, among them old signal frames whose XSAVE bookkeeping differs between a
  // recording and its replay (a pipeline's second SIGCHLD in bash was never found again).
  uint8_t page[4096];
  const uint64_t start = rsp & ~uint64_t{4095};
  const size_t from = rsp - start;
  if (!t.try_read(rsp, page + from, sizeof page - from)) return 0;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = from; i < sizeof page; ++i) {
    h ^= page[i];
    h *= 1099511628211ull;
  }
  return h;
}

ExecutionPoint capture_point(Task& t) {
  ExecutionPoint p;
  p.regs = t.regs();
  p.stack_digest = stack_digest(t, p.regs.rsp);
  return p;
}

bool findable_point(Task& t, const Registers& regs) {
  uint8_t code[15];
  if (!t.try_read(regs.rip, code, sizeof code)) return true;
  return !is_rep_string_insn(code, sizeof code);
}

bool is_rep_string_insn(const uint8_t* code, size_t n) {
  bool rep = false;
  size_t i = 0;
  for (; i < n; ++i) {
    uint8_t b = code[i];
    if (b == 0xf2 || b == 0xf3) {
      rep = true;
    } else if (!(b == 0xf0 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 ||
                 b == 0x65 || b == 0x66 || b == 0x67 || (b >= 0x40 && b <= 0x4f))) {
      break;
    }
  }
  if (!rep || i == n) return false;
  uint8_t op = code[i];
  return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) || (op >= 0x6c && op <= 0x6f);
}

std::vector<uint64_t> return_sites(Task& t, const Registers& regs, size_t max) {
  std::vector<uint64_t> out;
  std::vector<Mapping> maps = read_memory_map(t.tid());
  const Mapping* stack = find_mapping(maps, regs.rsp);
  if (!stack) return out;
  uint64_t words[512];
  size_t n = std::min<uint64_t>(sizeof words, stack->end - regs.rsp) / 8;
  if (n == 0 || !t.try_read(regs.rsp, words, n * 8)) return out;
  for (size_t i = 0; i < n && out.size() < max; ++i) {
    uint64_t v = words[i];
    const Mapping* m = find_mapping(maps, v);
    if (!m || !m->exec || v - m->start < 6) continue;
    uint8_t b[6];
    if (!t.try_read(v - 6, b, sizeof b)) continue;
    bool after_call = b[1] == 0xe8 ||                                             // call rel32
                      (b[4] == 0xff && (b[5] & 0xf8) == 0xd0) ||                  // call reg
                      (b[3] == 0xff && (b[4] & 0xf8) == 0x50) ||                  // call [reg+d8]
                      (b[0] == 0xff && (b[1] == 0x15 || (b[1] & 0xf8) == 0x90));  // [rip/reg+d32]
    if (after_call && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

bool same_point_registers(const Registers& a, const Registers& b) {
  constexpr uint64_t kIgnoredFlags = (1u << 16) | (1u << 8);  // RF, TF
  return same_position(a, b) && ((a.eflags ^ b.eflags) & ~kIgnoredFlags) == 0 &&
         a.fs_base == b.fs_base;
}

}  // namespace ckrr
