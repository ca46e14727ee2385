#pragma once
// Preemption points that replay finds by counting (no hardware counters here). Each process has
// a few chosen addresses (where its threads were found spinning, or return sites near where a
// point was needed), armed in DR0-2 of every thread from its last event on, for the whole slice
// of app code up to its next event, and every hit is counted. A point taken at a hit is
// (address, hits since the thread's last event): replay arms the address at that event and
// stops at the same count, whatever the registers. DR3 is left for temporary breakpoints
// (spin probes, return sites), which do not disturb the counts.
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/ExecutionPoint.h"
#include "core/Task.h"

namespace ckrr {

// One thread's counts since its last event.
struct SliceCount {
  static constexpr int kSlots = 3;  // DR0-2; DR3 is the temporary one
  std::array<uint64_t, kSlots> addr{};
  std::array<uint64_t, kSlots> hits{};
  std::array<std::optional<ExecutionPoint>, kSlots> last;  // at the previous hit (spin check)
  uint64_t temporary = 0;                                  // DR3
  bool valid = false;  // armed at the thread's last event: the counts hold
  std::array<uint64_t, 4> programmed{};
};

class CountedBreakpoints {
 public:
  // A slot hit more often than this in one slice is too hot to count (each hit is a ptrace stop,
  // in replay too): disarmed for the slice and no longer chosen.
  static constexpr uint64_t kMaxHits = 5000;
  static constexpr size_t kChosen = SliceCount::kSlots;

  // At a thread's event (or its first stop): counting starts again with the process's choice.
  void begin_slice(pid_t tgid, Task& t, SliceCount& s);
  // Counts the slot bits (DR6 0-2) of a trap; returns those that hit a counted slot.
  unsigned count(pid_t tgid, Task& t, SliceCount& s, unsigned dr6_bits);
  // DR3, not counted (0 clears it).
  void set_temporary(Task& t, SliceCount& s, uint64_t addr);
  // Chooses addr for the process's next slices (most recent first).
  void choose(pid_t tgid, uint64_t addr);
  void forget(pid_t tgid);  // exec: a new address space
  bool armed(const SliceCount& s) const;

 private:
  void program(Task& t, SliceCount& s);
  void drop(pid_t tgid, uint64_t addr);
  std::map<pid_t, std::vector<uint64_t>> chosen_;
};

}  // namespace ckrr
