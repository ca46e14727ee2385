#include "recorder/PluginRestart.h"

#include "plugins/VirtualIdTable.h"

namespace ckrr {

void run_plugin_restart_hooks(PluginRegistry& registry, Task& task,
                              const CheckpointManifest& manifest, const VirtualIds& ids) {
  for (const auto& p : registry.plugins())
    if (const std::vector<uint8_t>* b = manifest.blob(p->name())) p->restore_state(*b);
  RestartContext ctx{task, ids.real_pid, ids.virtual_pid, ids.tids};
  auto* table = dynamic_cast<VirtualIdTable*>(registry.find("virtual-ids"));
  if (table) table->set_process(&ctx);  // the pid/tid kinds answer for this process
  try {
    for (const auto& p : registry.plugins()) p->on_restart(ctx);
  } catch (...) {
    if (table) table->set_process(nullptr);
    throw;
  }
  if (table) table->set_process(nullptr);
}

}  // namespace ckrr
