#pragma once
// Which plugins (include/ckrr/plugin.h) a command loads: `--plugin PATH.so` (repeatable), else
// the environment's CKRR_PLUGINS=a.so:b.so; for a command on a trace, else the set the trace was
// recorded with.
#include <string>

#include "cli/Args.h"

namespace ckrr {

void load_plugins_for_record(const Args& args);
// Loads the set for a command on an existing trace and refuses (Error naming the difference)
// when it is not the recorded one.
void load_plugins_for_trace(const Args& args, const std::string& trace_dir);

}  // namespace ckrr
