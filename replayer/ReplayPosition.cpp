#include "replayer/ReplayPosition.h"

#include <algorithm>

namespace ckrr {

BreakSet BreakSet::unite(const BreakSet& o) const {
  BreakSet r = *this;
  r.sw.insert(o.sw.begin(), o.sw.end());
  for (const HwWatch& w : o.hw)
    if (std::find(r.hw.begin(), r.hw.end(), w) == r.hw.end()) r.hw.push_back(w);
  return r;
}

void Position::add_continue(const BreakSet& s) {
  if (!path.empty() && path.back().kind == PathAction::Kind::Continue && path.back().set == s) {
    ++path.back().count;
    return;
  }
  path.push_back({PathAction::Kind::Continue, 1, s});
}

void Position::add_step() {
  if (!path.empty() && path.back().kind == PathAction::Kind::Step) {
    ++path.back().count;
    return;
  }
  path.push_back({PathAction::Kind::Step, 1, {}});
}

Position Position::drop_last() const {
  Position p = *this;
  p.end = false;
  if (--p.path.back().count == 0) p.path.pop_back();
  return p;
}

std::string Position::describe() const {
  std::string s = "event " + std::to_string(event);
  for (const PathAction& a : path) {
    if (a.kind == PathAction::Kind::Step)
      s += " +" + std::to_string(a.count) + " step" + (a.count > 1 ? "s" : "");
    else
      s += " +" + std::to_string(a.count) + " stop" + (a.count > 1 ? "s" : "") + " on " +
           std::to_string(a.set.sw.size() + a.set.hw.size()) + " breakpoint(s)";
  }
  if (end) s += " (at the exit)";
  return s;
}

}  // namespace ckrr
