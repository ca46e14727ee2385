#pragma once
// A position in a replay without hardware counters (see docs/ARCHITECTURE.md, "Positions and
// reverse execution"): an event number N (the state right after event N) plus the path the
// debugger took from there, as deterministic actions: "continue until the k-th stop on this
// breakpoint/watchpoint set" and "k single steps". Replaying the same actions from event N
// reaches the same instant, whatever breakpoints gdb has now.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "replayer/DebugRegisters.h"

namespace ckrr {

struct BreakSet {
  std::set<uint64_t> sw;    // software breakpoint addresses
  std::vector<HwWatch> hw;  // hardware watchpoints (at most 4 debug registers' worth)
  bool operator==(const BreakSet&) const = default;
  bool empty() const { return sw.empty() && hw.empty(); }
  BreakSet unite(const BreakSet& o) const;
};

struct PathAction {
  enum class Kind { Continue, Step };
  Kind kind = Kind::Step;
  uint64_t count = 0;
  BreakSet set;  // Continue only: the stops it counts
  bool operator==(const PathAction&) const = default;
};

struct Position {
  uint64_t event = 0;
  std::vector<PathAction> path;
  // Stopped at the program's exit syscall (the end of the recording), after `path`.
  bool end = false;

  void add_continue(const BreakSet& s);
  void add_step();
  // Same position with the last unit (one step, or one continue stop) removed. path non-empty.
  Position drop_last() const;
  std::string describe() const;
  bool operator==(const Position&) const = default;
};

}  // namespace ckrr
