#pragma once
// Software breakpoints written into the replayed process: an int3 byte at each address, through
// /proc/PID/mem (code pages are read-only to the app). The set in memory is synced to what the
// next resume needs: none while single-stepping, gdb's (and reverse search's) while continuing.
// Reads through hide() show the original bytes.
#include <cstdint>
#include <map>
#include <set>

#include "core/Task.h"

namespace ckrr {

class Breakpoints {
 public:
  // Makes exactly `want` the addresses holding an int3. Addresses that cannot be written are
  // left out (gdb learns of it when it inserts: see can_insert).
  void sync(Task& t, const std::set<uint64_t>& want);
  bool inserted(uint64_t addr) const { return orig_.count(addr) > 0; }
  // Puts the original bytes over the int3s inside [addr, addr+len) of a read.
  void hide(uint64_t addr, uint8_t* data, size_t len) const;
  // A new address space (exec, restore): nothing is written there any more.
  void forget() { orig_.clear(); }

 private:
  std::map<uint64_t, uint8_t> orig_;  // address -> byte under the int3
};

}  // namespace ckrr
