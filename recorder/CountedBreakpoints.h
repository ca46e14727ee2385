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
  // App code ran since the last event (a loop may come back to the same registers).
  bool ran() const { return hits[0] + hits[1] + hits[2] != 0; }
};

class CountedBreakpoints {
 public:
  // Each hit is a ptrace stop (~15 us), in replay too: an address hit more often than its
  // points pay for is dropped, and not chosen again in that process. A spin loop's points earn
  // nothing: a loop whose state is all in memory looks the same and would be hit forever.
  static constexpr uint64_t kStartCredit = 20000;  // hits
  static constexpr uint64_t kPointCredit = 1000;   // per signal or forced point (one is needed)
  static constexpr size_t kChosen = SliceCount::kSlots;

  // At a thread's event (or its first stop): counting starts again with the process's choice.
  void begin_slice(pid_t tgid, Task& t, SliceCount& s);
  // Counts the slot bits (DR6 0-2) of a trap; returns those that hit a counted slot.
  unsigned count(pid_t tgid, Task& t, SliceCount& s, unsigned dr6_bits);
  // A point was taken at addr: it earns that many more hits.
  void credit(pid_t tgid, uint64_t addr, uint64_t hits);
  // DR3, not counted (0 clears it).
  void set_temporary(Task& t, SliceCount& s, uint64_t addr);
  // Chooses addr for the process's next slices (most recent first), unless it proved too hot.
  void choose(pid_t tgid, uint64_t addr);
  // Dropped as too hot: a loop that looks like a spin there is one whose state is in memory.
  bool too_hot(pid_t tgid, uint64_t addr) const;
  void forget(pid_t tgid);  // exec: a new address space
  bool armed(const SliceCount& s) const;

 private:
  struct Chosen {
    uint64_t addr = 0;
    uint64_t hits = 0, credit = kStartCredit;
  };
  struct Process {
    std::vector<Chosen> chosen;
    std::vector<uint64_t> too_hot;
  };
  void program(Task& t, SliceCount& s);
  std::map<pid_t, Process> procs_;
};

}  // namespace ckrr
