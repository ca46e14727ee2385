#pragma once
// The one place where plugins are registered, and the syscall -> plugin table.
#include <array>
#include <memory>
#include <vector>

#include "plugins/Plugin.h"

namespace ckrr {

class PluginRegistry {
 public:
  static constexpr int kMaxSyscall = 512;
  // All built-in plugins.
  static PluginRegistry with_builtin_plugins();

  void add(std::unique_ptr<Plugin> p);  // throws if a syscall is claimed twice
  Plugin* owner(long nr) const { return nr >= 0 && nr < kMaxSyscall ? owners_[nr] : nullptr; }
  ReplayMode default_mode(long nr) const { return modes_[nr]; }
  const std::vector<std::unique_ptr<Plugin>>& plugins() const { return plugins_; }
  Plugin* find(const std::string& name) const;
  std::vector<int> allowed_syscalls() const;

 private:
  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::array<Plugin*, kMaxSyscall> owners_{};
  std::array<ReplayMode, kMaxSyscall> modes_{};
};

}  // namespace ckrr
