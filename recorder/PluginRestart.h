#pragma once
// The plugins' part of `ckrr restart`: once a process is restored and its files reopened, each
// plugin gets its checkpointed state back, then its restart hook runs (Plugin::on_restart), able
// to make calls inside the stopped process. Throws TraceError when a plugin cannot (the
// checkpoint is then unusable).
#include "checkpoint/CheckpointManifest.h"
#include "core/Task.h"
#include "plugins/PluginRegistry.h"
#include "recorder/VirtualIds.h"

namespace ckrr {

void run_plugin_restart_hooks(PluginRegistry& registry, Task& task,
                              const CheckpointManifest& manifest, const VirtualIds& ids);

}  // namespace ckrr
