#pragma once
// Plugins loaded from shared objects (`--plugin PATH.so`, CKRR_PLUGINS) through the C API of
// include/ckrr/plugin.h, each instance wrapped as a ckrr::Plugin in the registry. The set loaded
// for this run of ckrr is process-wide: every registry made afterwards
// (PluginRegistry::with_builtin_plugins) gets a fresh instance of each.
#include <string>
#include <vector>

namespace ckrr {

class PluginRegistry;

struct LoadedPluginInfo {
  std::string name, version, path, sha256;
};

// dlopens each .so, checks its API major version and that it initialises, and makes it the
// set of this run. Throws Error naming the file and the reason.
void load_plugins(const std::vector<std::string>& paths);
const std::vector<LoadedPluginInfo>& loaded_plugins();
// Adds one fresh instance of each loaded plugin (and the virtual-id table they share) to r.
void add_loaded_plugins(PluginRegistry& r);

// How a trace records the set (its index's "plugins" meta): one line per plugin,
// "name<TAB>version<TAB>sha256<TAB>path".
std::string plugins_meta_text(const std::vector<LoadedPluginInfo>& set);
std::vector<LoadedPluginInfo> parse_plugins_meta(const std::string& text);
// "" when `loaded` may replay/restart a trace recorded with `recorded` (same names and
// versions); otherwise what differs, in words. A different .so hash with the same version is
// not refused (a rebuild): it is returned in *warning.
std::string plugin_set_difference(const std::vector<LoadedPluginInfo>& recorded,
                                  const std::vector<LoadedPluginInfo>& loaded,
                                  std::string* warning);

}  // namespace ckrr
