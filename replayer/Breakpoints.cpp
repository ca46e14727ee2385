#include "replayer/Breakpoints.h"

#include <vector>

namespace ckrr {

namespace {
constexpr uint8_t kInt3 = 0xcc;
}

void Breakpoints::sync(Task& t, const std::set<uint64_t>& want) {
  std::vector<uint64_t> drop;
  for (const auto& [addr, byte] : orig_)
    if (!want.count(addr)) drop.push_back(addr);
  for (uint64_t addr : drop) {
    uint8_t b = orig_[addr];
    t.write(addr, &b, 1);
    orig_.erase(addr);
  }
  for (uint64_t addr : want) {
    if (orig_.count(addr)) continue;
    uint8_t b;
    if (!t.try_read(addr, &b, 1)) continue;
    t.write(addr, &kInt3, 1);
    orig_[addr] = b;
  }
}

void Breakpoints::hide(uint64_t addr, uint8_t* data, size_t len) const {
  for (auto it = orig_.lower_bound(addr); it != orig_.end() && it->first < addr + len; ++it)
    data[it->first - addr] = it->second;
}

}  // namespace ckrr
