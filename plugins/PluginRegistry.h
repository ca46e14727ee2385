#pragma once
// The one place where plugins are registered. Which plugin owns which syscall, and its default
// replay mode, come from the syscall table (SyscallTable.cpp); a plugin outside the table may
// still claim numbers the table does not give to anyone (Plugin::claims).
#include <array>
#include <memory>
#include <vector>

#include "plugins/Plugin.h"
#include "plugins/SyscallTable.h"

namespace ckrr {

class PluginRegistry {
 public:
  static constexpr int kMaxSyscall = 512;
  // All built-in plugins.
  static PluginRegistry with_builtin_plugins();

  // Throws if a syscall is claimed twice. A loaded plugin (external) may take a number over
  // from a built-in with SyscallClaim::takeover, never from another loaded plugin.
  void add(std::unique_ptr<Plugin> p, bool external = false);
  // The plugin that records nr. Every number has one: numbers nobody owns (not in the table,
  // invalid, negative) go to the fallback plugin, which records them conservatively.
  Plugin* owner(long nr) const {
    Plugin* p = nr >= 0 && nr < kMaxSyscall ? owners_[nr] : nullptr;
    return p ? p : fallback_;
  }
  ReplayMode default_mode(long nr) const {
    return nr >= 0 && nr < kMaxSyscall ? modes_[nr] : ReplayMode::Emulate;
  }
  const std::vector<std::unique_ptr<Plugin>>& plugins() const { return plugins_; }
  Plugin* find(const std::string& name) const;
  // Syscalls that never stop at the supervisor (the table's Allow entries).
  std::vector<int> allowed_syscalls() const;
  // The plugin numbers nobody owns go to (the kernel plugin once registered).
  void set_fallback(Plugin* p) { fallback_ = p; }

 private:
  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::array<Plugin*, kMaxSyscall> owners_{};
  std::array<ReplayMode, kMaxSyscall> modes_{};
  std::array<bool, kMaxSyscall> external_{};  // owned by a loaded plugin
  Plugin* fallback_ = nullptr;
};

// The replay mode a table action starts a call with (Refuse and Allow calls are never replayed
// by running them: the first is skipped when recording, the second never stops).
ReplayMode replay_mode_of(SyscallAction a);

}  // namespace ckrr
