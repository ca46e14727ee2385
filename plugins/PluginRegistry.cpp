#include "plugins/PluginRegistry.h"

#include <cstring>

#include "core/Error.h"
#include "core/SyscallNames.h"
#include "plugins/AgentChannel.h"
#include "plugins/AppPtracePlugin.h"
#include "plugins/ExternalPlugin.h"
#include "plugins/FilesPlugin.h"
#include "plugins/IdsPlugin.h"
#include "plugins/KernelPlugin.h"
#include "plugins/LifecyclePlugin.h"
#include "plugins/MemoryPlugin.h"
#include "plugins/NetPlugin.h"
#include "plugins/PollPlugin.h"
#include "plugins/RandomPlugin.h"
#include "plugins/SignalPlugin.h"
#include "plugins/SystemInfoPlugin.h"
#include "plugins/SysvShmPlugin.h"
#include "plugins/TerminalPlugin.h"
#include "plugins/TimePlugin.h"

namespace ckrr {

ReplayMode replay_mode_of(SyscallAction a) {
  switch (a) {
    case SyscallAction::Reexecute:
    case SyscallAction::Allow:
      return ReplayMode::Reexecute;
    case SyscallAction::ReexecuteOverride:
      return ReplayMode::ReexecuteOverride;
    case SyscallAction::Emulate:
    case SyscallAction::Refuse:
      break;
  }
  return ReplayMode::Emulate;
}

PluginRegistry PluginRegistry::with_builtin_plugins() {
  PluginRegistry r;
  // One line per plugin. The recorder and replayer loops never change for a new one.
  r.add(std::make_unique<TimePlugin>());
  r.add(std::make_unique<RandomPlugin>());
  r.add(std::make_unique<FilesPlugin>());
  r.add(std::make_unique<PollPlugin>());
  r.add(std::make_unique<NetPlugin>());
  r.add(std::make_unique<IdsPlugin>());
  r.add(std::make_unique<SystemInfoPlugin>());
  r.add(std::make_unique<MemoryPlugin>());
  r.add(std::make_unique<TerminalPlugin>());
  r.add(std::make_unique<SignalPlugin>());
  r.add(std::make_unique<LifecyclePlugin>());
  r.add(std::make_unique<SysvShmPlugin>());
  r.add(std::make_unique<AppPtracePlugin>());
  r.add(std::make_unique<KernelPlugin>());
  add_loaded_plugins(r);  // those given with --plugin / CKRR_PLUGINS (ExternalPlugin.h)
  r.set_fallback(r.find("kernel"));
  return r;
}

void PluginRegistry::add(std::unique_ptr<Plugin> p, bool external) {
  auto own = [&](int nr, ReplayMode mode, bool takeover) {
    if (nr < 0 || nr >= kMaxSyscall)
      throw Error(std::string("plugin ") + p->name() + " claims bad syscall number " +
                  std::to_string(nr));
    if (external && AgentChannel::may_buffer(nr))
      throw Error(std::string("plugin ") + p->name() + " claims syscall " +
                  syscall_display_name(nr) +
                  ", which ckrr's agent (--agent) may run inside the program where plugins "
                  "do not see it: not available to plugins");
    if (owners_[nr] && !(external && takeover && !external_[nr]))
      throw Error(std::string("syscall ") + syscall_display_name(nr) + " claimed by both " +
                  owners_[nr]->name() + " and " + p->name() +
                  (external && !external_[nr]
                       ? " (a plugin may replace a built-in's syscall only with takeover = 1 "
                         "in its claim)"
                       : ""));
    owners_[nr] = p.get();
    modes_[nr] = mode;
    external_[nr] = external;
  };
  // A refused plugin leaves the registry as it was (no owner pointing at it).
  const auto owners = owners_;
  const auto modes = modes_;
  const auto external_owned = external_;
  try {
    if (!external)
      for (const SyscallSpec& s : syscall_table())
        if (std::strcmp(s.plugin, p->name()) == 0) own(s.nr, replay_mode_of(s.action), false);
    for (const SyscallClaim& c : p->claims()) own(c.nr, c.mode, c.takeover);
  } catch (...) {
    owners_ = owners;
    modes_ = modes;
    external_ = external_owned;
    throw;
  }
  plugins_.push_back(std::move(p));
}

Plugin* PluginRegistry::find(const std::string& name) const {
  for (const auto& p : plugins_)
    if (name == p->name()) return p.get();
  return nullptr;
}

std::vector<int> PluginRegistry::allowed_syscalls() const {
  std::vector<int> out;
  for (const SyscallSpec& s : syscall_table())
    if (s.action == SyscallAction::Allow && !external_[s.nr]) out.push_back(s.nr);
  return out;
}

}  // namespace ckrr
