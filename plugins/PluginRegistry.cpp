#include "plugins/PluginRegistry.h"

#include "core/Error.h"
#include "core/SyscallNames.h"
#include "plugins/FilesPlugin.h"
#include "plugins/IdsPlugin.h"
#include "plugins/LifecyclePlugin.h"
#include "plugins/MemoryPlugin.h"
#include "plugins/NetPlugin.h"
#include "plugins/PollPlugin.h"
#include "plugins/RandomPlugin.h"
#include "plugins/SignalPlugin.h"
#include "plugins/SystemInfoPlugin.h"
#include "plugins/TerminalPlugin.h"
#include "plugins/TimePlugin.h"

namespace ckrr {

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
  return r;
}

void PluginRegistry::add(std::unique_ptr<Plugin> p) {
  for (const SyscallClaim& c : p->claims()) {
    if (c.nr < 0 || c.nr >= kMaxSyscall) throw Error("plugin claims bad syscall number");
    if (owners_[c.nr])
      throw Error(std::string("syscall ") + syscall_display_name(c.nr) + " claimed by both " +
                  owners_[c.nr]->name() + " and " + p->name());
    owners_[c.nr] = p.get();
    modes_[c.nr] = c.mode;
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
  for (const auto& p : plugins_)
    for (int nr : p->allowed()) out.push_back(nr);
  return out;
}

}  // namespace ckrr
