#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <vector>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "cli/TraceFacts.h"
#include "core/Error.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

namespace {
const char* kHelp =
    "usage: ckrr ls [DIR]\n"
    "\n"
    "Lists the recordings in DIR (default ./ckrr-traces, where 'ckrr record' puts them), one\n"
    "per line: name, when recorded (UTC), duration, events, checkpoints, size, whether the\n"
    "recording is complete, and the command. DIR may itself be a trace.\n";

struct Row {
  std::string name, when, duration, events, checkpoints, size, complete, command;
};
}  // namespace

int cmd_ls(const std::vector<std::string>& argv) {
  Args args(argv, {}, {"--help"}, {{"-h", "--help"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  if (args.positional().size() > 1) throw Error("give at most one DIR (see --help)");
  const std::filesystem::path dir = args.positional().empty()
                                        ? std::filesystem::path("ckrr-traces")
                                        : std::filesystem::path(args.positional()[0]);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw Error(dir.string() + ": no such directory" +
                (args.positional().empty() ? " (no recordings here yet)" : ""));
  std::vector<std::filesystem::path> candidates;
  if (std::filesystem::exists(dir / "VERSION")) {
    candidates.push_back(dir);
  } else {
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.is_directory()) candidates.push_back(e.path());
  }
  std::sort(candidates.begin(), candidates.end());
  std::vector<Row> rows;
  rows.push_back(
      {"NAME", "RECORDED", "DURATION", "EVENTS", "CKPTS", "SIZE", "COMPLETE", "COMMAND"});
  for (const auto& p : candidates) {
    try {
      TraceDirectory trace = TraceDirectory::open(p);
      auto index = TimelineIndex::open(trace.index_db(), true);
      auto meta = [&](const char* k) { return index->meta(k).value_or(""); };
      Row r;
      r.name = p.filename().string();
      r.when = utc_time_text(meta("start_unix_ns"));
      if (r.when.size() > 4) r.when = r.when.substr(0, r.when.size() - 4);  // drop " UTC"
      const std::string dur = meta("duration_ns");
      char buf[32];
      snprintf(buf, sizeof buf, "%.2fs", dur.empty() ? 0.0 : std::stoull(dur) / 1e9);
      r.duration = dur.empty() ? "-" : buf;
      r.events = std::to_string(index->event_count());
      r.checkpoints = std::to_string(index->checkpoints().size());
      r.size = human_bytes(dir_size(p));
      r.complete = meta("complete") == "1" ? "yes" : "no";
      r.command = meta("command");
      rows.push_back(std::move(r));
    } catch (const std::exception&) {
      // Not a trace (or not one this ckrr reads): not listed.
    }
  }
  std::vector<size_t> w(7, 0);
  for (const auto& r : rows) {
    const std::string* f[] = {&r.name,        &r.when, &r.duration, &r.events,
                              &r.checkpoints, &r.size, &r.complete};
    for (size_t i = 0; i < 7; ++i) w[i] = std::max(w[i], f[i]->size());
  }
  for (const auto& r : rows) {
    printf("%-*s  %-*s  %*s  %*s  %*s  %*s  %-*s  %s\n", int(w[0]), r.name.c_str(), int(w[1]),
           r.when.c_str(), int(w[2]), r.duration.c_str(), int(w[3]), r.events.c_str(), int(w[4]),
           r.checkpoints.c_str(), int(w[5]), r.size.c_str(), int(w[6]), r.complete.c_str(),
           r.command.c_str());
  }
  return 0;
}

}  // namespace ckrr
