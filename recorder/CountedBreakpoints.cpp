#include "recorder/CountedBreakpoints.h"

#include <algorithm>

#include "core/Error.h"
#include "core/ExecBreakpoint.h"

namespace ckrr {

void CountedBreakpoints::begin_slice(pid_t tgid, Task& t, SliceCount& s) {
  s.addr = {};
  auto it = chosen_.find(tgid);
  if (it != chosen_.end())
    for (size_t i = 0; i < it->second.size() && i < kChosen; ++i) s.addr[i] = it->second[i];
  s.hits = {};
  s.last = {};
  s.temporary = 0;
  s.valid = true;
  program(t, s);
}

unsigned CountedBreakpoints::count(pid_t tgid, Task& t, SliceCount& s, unsigned dr6_bits) {
  unsigned out = 0;
  for (int i = 0; i < SliceCount::kSlots; ++i) {
    if (!(dr6_bits & (1u << i)) || !s.addr[i] || !s.valid) continue;
    if (++s.hits[i] > kMaxHits) {
      drop(tgid, s.addr[i]);
      s.addr[i] = 0;
      s.hits[i] = 0;
      program(t, s);
      continue;
    }
    out |= 1u << i;
  }
  return out;
}

void CountedBreakpoints::set_temporary(Task& t, SliceCount& s, uint64_t addr) {
  s.temporary = addr;
  program(t, s);
}

void CountedBreakpoints::choose(pid_t tgid, uint64_t addr) {
  std::vector<uint64_t>& v = chosen_[tgid];
  v.erase(std::remove(v.begin(), v.end(), addr), v.end());
  v.insert(v.begin(), addr);
  if (v.size() > kChosen) v.resize(kChosen);
}

void CountedBreakpoints::forget(pid_t tgid) {
  chosen_.erase(tgid);
}

bool CountedBreakpoints::armed(const SliceCount& s) const {
  return s.valid && std::any_of(s.addr.begin(), s.addr.end(), [](uint64_t a) { return a != 0; });
}

void CountedBreakpoints::drop(pid_t tgid, uint64_t addr) {
  auto it = chosen_.find(tgid);
  if (it != chosen_.end())
    it->second.erase(std::remove(it->second.begin(), it->second.end(), addr), it->second.end());
}

void CountedBreakpoints::program(Task& t, SliceCount& s) {
  std::array<uint64_t, 4> want{s.addr[0], s.addr[1], s.addr[2], s.temporary};
  if (want == s.programmed) return;  // debug registers persist: nothing to do
  try {
    exec_breakpoint::program(t.tid(), want);
    s.programmed = want;
  } catch (const Error&) {
    // Not stopped (in the kernel, waiting): not counted until its next event arms it again.
    s.valid = false;
    s.programmed.fill(~uint64_t{0});  // unknown: written again next time
  }
}

}  // namespace ckrr
