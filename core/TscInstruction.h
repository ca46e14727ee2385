#pragma once
// Recognizes the time-stamp instructions that trap under PR_SET_TSC, for the time plugin
// (record and replay) and the live-restart supervisor, which emulate them.
#include <cstdint>

#include "core/Task.h"

namespace ckrr {

// Length of the rdtsc (0f 31) or rdtscp (0f 01 f9) instruction at rip in t, or 0.
inline int tsc_insn_len(Task& t, uint64_t rip) {
  uint8_t b[3] = {};
  if (!t.try_read(rip, b, 3)) return 0;
  if (b[0] == 0x0f && b[1] == 0x31) return 2;
  if (b[0] == 0x0f && b[1] == 0x01 && b[2] == 0xf9) return 3;
  return 0;
}

}  // namespace ckrr
