#include "recorder/CountedBreakpoints.h"

#include <algorithm>

#include "core/Error.h"
#include "core/ExecBreakpoint.h"

namespace ckrr {

void CountedBreakpoints::begin_slice(pid_t tgid, Task& t, SliceCount& s) {
  s.addr = {};
  auto it = procs_.find(tgid);
  if (it != procs_.end())
    for (size_t i = 0; i < it->second.chosen.size() && i < kChosen; ++i)
      s.addr[i] = it->second.chosen[i].addr;
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
    ++s.hits[i];
    out |= 1u << i;
    Process& p = procs_[tgid];
    auto c = std::find_if(p.chosen.begin(), p.chosen.end(),
                          [&](const Chosen& x) { return x.addr == s.addr[i]; });
    if (c == p.chosen.end() || ++c->hits <= c->credit) continue;
    // Too hot: no longer counted (this hit still is: the caller may take its point).
    p.too_hot.push_back(c->addr);
    p.chosen.erase(c);
    s.addr[i] = 0;
    program(t, s);
  }
  return out;
}

void CountedBreakpoints::credit(pid_t tgid, uint64_t addr, uint64_t hits) {
  for (Chosen& c : procs_[tgid].chosen)
    if (c.addr == addr) c.credit += hits;
}

void CountedBreakpoints::set_temporary(Task& t, SliceCount& s, uint64_t addr) {
  s.temporary = addr;
  program(t, s);
}

void CountedBreakpoints::choose(pid_t tgid, uint64_t addr) {
  Process& p = procs_[tgid];
  if (std::find(p.too_hot.begin(), p.too_hot.end(), addr) != p.too_hot.end()) return;
  auto c = std::find_if(p.chosen.begin(), p.chosen.end(),
                        [&](const Chosen& x) { return x.addr == addr; });
  Chosen keep{addr};
  if (c != p.chosen.end()) {
    keep = *c;
    p.chosen.erase(c);
  }
  p.chosen.insert(p.chosen.begin(), keep);
  if (p.chosen.size() > kChosen) p.chosen.resize(kChosen);
}

bool CountedBreakpoints::too_hot(pid_t tgid, uint64_t addr) const {
  auto it = procs_.find(tgid);
  return it != procs_.end() && std::find(it->second.too_hot.begin(), it->second.too_hot.end(),
                                         addr) != it->second.too_hot.end();
}

void CountedBreakpoints::forget(pid_t tgid) {
  procs_.erase(tgid);
}

bool CountedBreakpoints::armed(const SliceCount& s) const {
  return s.valid && std::any_of(s.addr.begin(), s.addr.end(), [](uint64_t a) { return a != 0; });
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
