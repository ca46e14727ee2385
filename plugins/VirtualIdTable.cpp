#include "plugins/VirtualIdTable.h"

#include <sstream>

namespace ckrr {

int VirtualIdTable::kind(const std::string& name) {
  if (name.empty() || name.find_first_of(" \t\n") != std::string::npos) return -1;
  if (name == "pid") return kPid;
  if (name == "tid") return kTid;
  for (size_t i = 0; i < kinds_.size(); ++i)
    if (kinds_[i].name == name) return static_cast<int>(i) + 2;
  kinds_.push_back({name, {}, {}});
  return static_cast<int>(kinds_.size()) + 1;
}

bool VirtualIdTable::map(int kind, int64_t virt, int64_t real) {
  if (kind < 2 || kind - 2 >= static_cast<int>(kinds_.size())) return false;
  Kind& k = kinds_[kind - 2];
  // One mapping per id on either side: drop what virt or real meant before.
  if (auto it = k.to_real.find(virt); it != k.to_real.end()) k.to_virtual.erase(it->second);
  if (auto it = k.to_virtual.find(real); it != k.to_virtual.end()) k.to_real.erase(it->second);
  k.to_real[virt] = real;
  k.to_virtual[real] = virt;
  return true;
}

int64_t VirtualIdTable::to_real(int kind, int64_t virt) const {
  if (kind == kPid || kind == kTid) {
    if (!process_) return virt;
    if (kind == kPid || process_->tids.empty())
      return virt == process_->virtual_pid ? process_->real_pid : virt;
    auto it = process_->tids.find(static_cast<pid_t>(virt));
    return it == process_->tids.end() ? virt : it->second;
  }
  if (kind < 2 || kind - 2 >= static_cast<int>(kinds_.size())) return virt;
  const auto& m = kinds_[kind - 2].to_real;
  auto it = m.find(virt);
  return it == m.end() ? virt : it->second;
}

int64_t VirtualIdTable::to_virtual(int kind, int64_t real) const {
  if (kind == kPid || kind == kTid) {
    if (!process_) return real;
    if (kind == kPid || process_->tids.empty())
      return real == process_->real_pid ? process_->virtual_pid : real;
    for (const auto& [v, r] : process_->tids)
      if (r == real) return v;
    return real;
  }
  if (kind < 2 || kind - 2 >= static_cast<int>(kinds_.size())) return real;
  const auto& m = kinds_[kind - 2].to_virtual;
  auto it = m.find(real);
  return it == m.end() ? real : it->second;
}

// Text: "kind NAME" lines, each followed by its "map VIRTUAL REAL" lines.
void VirtualIdTable::save_state(std::vector<uint8_t>& out) const {
  std::ostringstream s;
  for (const Kind& k : kinds_) {
    s << "kind " << k.name << "\n";
    for (const auto& [v, r] : k.to_real) s << "map " << v << " " << r << "\n";
  }
  const std::string t = s.str();
  out.assign(t.begin(), t.end());
}

void VirtualIdTable::restore_state(const std::vector<uint8_t>& in) {
  // Kinds keep the numbers plugins were given when they registered (by name).
  for (Kind& k : kinds_) k.to_real.clear(), k.to_virtual.clear();
  std::istringstream s(std::string(in.begin(), in.end()));
  std::string word;
  int cur = -1;
  while (s >> word) {
    if (word == "kind") {
      std::string name;
      s >> name;
      cur = kind(name);
    } else if (word == "map") {
      int64_t v = 0, r = 0;
      s >> v >> r;
      if (cur >= 2) map(cur, v, r);
    }
  }
}

}  // namespace ckrr
