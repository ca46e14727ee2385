#include "cli/PluginOptions.h"

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "core/Error.h"
#include "plugins/ExternalPlugin.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

namespace {

std::vector<std::string> given_paths(const Args& args) {
  std::vector<std::string> paths = args.get_all("--plugin");
  if (paths.empty())
    if (const char* env = getenv("CKRR_PLUGINS")) {
      std::istringstream s(env);
      std::string p;
      while (std::getline(s, p, ':'))
        if (!p.empty()) paths.push_back(p);
    }
  return paths;
}

}  // namespace

void load_plugins_for_record(const Args& args) {
  load_plugins(given_paths(args));
}

void load_plugins_for_trace(const Args& args, const std::string& trace_dir) {
  TraceDirectory trace = TraceDirectory::open(trace_dir);
  auto index = TimelineIndex::open(trace.index_db(), true);
  const std::vector<LoadedPluginInfo> recorded =
      parse_plugins_meta(index->meta("plugins").value_or(""));
  std::vector<std::string> paths = given_paths(args);
  if (paths.empty())
    for (const LoadedPluginInfo& r : recorded) paths.push_back(r.path);
  try {
    load_plugins(paths);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (the recording " + trace_dir +
                " was made with plugins: " + (recorded.empty() ? "none" : "") +
                [&] {
                  std::string s;
                  for (const auto& r : recorded)
                    s += (s.empty() ? "" : ", ") + r.name + " " + r.version + " from " + r.path;
                  return s;
                }() +
                "; give them with --plugin)");
  }
  std::string warning;
  std::string diff = plugin_set_difference(recorded, loaded_plugins(), &warning);
  if (!diff.empty())
    throw Error("the plugins differ from those the recording " + trace_dir + " was made with: " +
                diff + " (give the recorded ones with --plugin PATH.so; 'ckrr info' lists them)");
  if (!warning.empty()) std::cerr << "ckrr: warning: " << warning;
}

}  // namespace ckrr
