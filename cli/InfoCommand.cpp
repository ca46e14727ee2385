#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "cli/TraceFacts.h"
#include "core/Error.h"
#include "plugins/ExternalPlugin.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

namespace {

const char* kHelp =
    "usage: ckrr info TRACE\n"
    "\n"
    "Summary of a recording, from its index: command, environment size, duration, number of\n"
    "events, threads and processes, exit status, checkpoints, size on disk.\n";

}  // namespace

int cmd_info(const std::vector<std::string>& argv) {
  Args args(argv, {}, {"--help"}, {{"-h", "--help"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  if (args.positional().size() != 1) throw Error("give exactly one TRACE (see --help)");
  TraceDirectory trace = TraceDirectory::open(args.positional()[0]);
  auto index = TimelineIndex::open(trace.index_db(), true);
  auto meta = [&](const char* k) { return index->meta(k).value_or(""); };
  std::cout << "trace: " << trace.dir().string() << "\n";
  std::cout << "format: " << TraceDirectory::kFormatVersion << "\n";
  std::cout << "command: " << meta("command") << "\n";
  std::cout << "program: " << meta("program") << "\n";
  std::cout << "cwd: " << meta("cwd") << "\n";
  std::cout << "environment: " << meta("env_count") << " variables\n";
  // Loaded plugins (--plugin): replay, debug and restart need the same set.
  for (const LoadedPluginInfo& p : parse_plugins_meta(meta("plugins")))
    std::cout << "plugin: " << p.name << " " << p.version << " " << p.path << " sha256 "
              << p.sha256.substr(0, 16) << "\n";
  std::string start = meta("start_unix_ns");
  if (!start.empty()) std::cout << "recorded: " << utc_time_text(start) << "\n";
  std::string dur = meta("duration_ns");
  if (!dur.empty()) printf("duration: %.3f s\n", std::stoull(dur) / 1e9), fflush(stdout);
  std::cout << "events: " << index->event_count() << "\n";
  auto threads = index->threads();
  std::set<int32_t> pids;
  for (const auto& t : threads) pids.insert(t.pid);
  std::cout << "threads: " << threads.size() << "\n";
  std::cout << "processes: " << pids.size() << "\n";
  for (int32_t pid : pids) {
    // "ppid=P status=S exe=PATH", written by the recorder for each process.
    std::string p = index->meta("process." + std::to_string(pid)).value_or("");
    std::cout << "  process " << pid;
    if (!p.empty()) {
      size_t e = p.find(" exe=");
      std::string head = p.substr(0, e);
      int status = -1;
      size_t sp = head.find("status=");
      if (sp != std::string::npos) status = std::stoi(head.substr(sp + 7));
      std::cout << " (" << head.substr(0, head.find(' '));
      if (status >= 0 && WIFSIGNALED(status)) {
        const char* n = sigabbrev_np(WTERMSIG(status));
        std::cout << ", killed by SIG" << (n ? n : "?");
      } else if (status >= 0) {
        std::cout << ", exit " << WEXITSTATUS(status);
      }
      std::cout << ")";
      if (e != std::string::npos) std::cout << " " << p.substr(e + 5);
    }
    std::cout << "\n";
    for (const auto& t : threads)
      if (t.pid == pid)
        std::cout << "    tid " << t.tid << " " << t.name << " (events " << t.first_seq << "-"
                  << t.last_seq << ")\n";
  }
  std::string pre = meta("preemptions");
  if (!pre.empty() && meta("preemptions_counted").empty()) {  // older recordings
    std::cout << "preemptions: " << pre << " (spin loops " << meta("preemptions_spin")
              << ", forced " << meta("preemptions_forced") << "; signals placed by registers "
              << meta("located_signals") << ")\n";
  } else if (!pre.empty()) {
    // How replay finds each: at a syscall (no event needed), by counting breakpoint hits,
    // or by registers (the first time a place is met; see ARCHITECTURE).
    std::cout << "preemptions: " << pre << " (at syscall " << meta("preemptions_at_syscall")
              << ", counted breakpoint " << meta("preemptions_counted") << ", by registers "
              << meta("preemptions_registers") << "; spin loops " << meta("preemptions_spin")
              << ", forced " << meta("preemptions_forced") << ")\n";
    const std::string located = meta("located_signals"), counted = meta("located_counted");
    std::cout << "signals placed in app code: " << located << " (counted breakpoint " << counted
              << ", by registers "
              << std::stoull(located.empty() ? "0" : located) -
                     std::stoull(counted.empty() ? "0" : counted)
              << ")\n";
  }
  std::string waits = meta("write_waits");
  if (!waits.empty() && threads.size() > 1) {
    std::cout << "ordered writes: " << meta("writes_entered")
              << " may have waited for a reader (enter), " << waits
              << " waited for another write to the same file, pipe or socket";
    std::string stopped = meta("write_holders_stopped");
    if (!stopped.empty() && stopped != "0")
      std::cout << ", " << stopped << " stopped in the kernel so that those went on";
    std::cout << "\n";
  }
  std::string st = meta("exit_status");
  if (!st.empty()) {
    int s = std::stoi(st);
    if (WIFSIGNALED(s)) {
      const char* n = sigabbrev_np(WTERMSIG(s));
      std::cout << "exit: killed by SIG" << (n ? n : "?") << "\n";
    } else {
      std::cout << "exit: status " << WEXITSTATUS(s) << "\n";
    }
  }
  std::cout << "checkpoints: " << index->checkpoints().size() << "\n";
  std::string skipped = meta("skipped_checkpoints");
  if (!skipped.empty() && skipped != "0")
    std::cout << "skipped checkpoints: " << skipped
              << " (due while a thread was where a checkpoint cannot describe it; taken"
                 " later)\n";
  const std::string held = meta("checkpoint_pause_ms"), published = meta("checkpoint_publish_ms");
  const std::string run_ns = meta("duration_ns"), delayed = meta("delayed_checkpoints");
  if (!held.empty() && !run_ns.empty() && !index->checkpoints().empty()) {
    const double run_ms = std::max(1.0, std::stod(run_ns) / 1e6);
    char b[256];
    snprintf(b, sizeof b,
             "checkpoint cost: the app held %.0f ms (%.1f%% of the recording); published in the"
             " background in %.0f ms (%.1f%%)\n",
             std::stod(held), 100 * std::stod(held) / run_ms, std::stod(published),
             100 * std::stod(published) / run_ms);
    std::cout << b;
  }
  const std::string spaced = meta("spaced_checkpoints");
  if (!spaced.empty() && spaced != "0")
    std::cout << "spaced checkpoints: " << spaced
              << " (the next periodic one put off to keep checkpoints under 5% of the run)\n";
  if (!delayed.empty() && delayed != "0")
    std::cout << "delayed checkpoints: " << delayed
              << " (due while the one before was still being published; each taken at the next"
                 " boundary after it)\n";
  std::cout << "deferred signals: " << meta("deferred_signals") << "\n";
  if (!meta("agent").empty())
    std::cout << "agent: " << meta("agent")
              << "; syscalls per process: " << meta("syscalls_by_process") << "\n";
  std::string conservative = meta("conservative_calls");
  if (!conservative.empty())
    std::cout << "recorded conservatively: " << conservative
              << " (ckrr does not know exactly what memory these calls write: it kept the bytes"
                 " that changed near their pointer arguments)\n";
  std::string not_emulated = meta("not_emulated_calls");
  if (!not_emulated.empty())
    std::cout << "not emulated: " << not_emulated
              << " (answered with an error where the kernel would have served them)\n";
  std::cout << "mapped files: " << index->mapped_files().size() << "\n";
  uint64_t total = dir_size(trace.dir());
  std::error_code ec;
  uint64_t log = std::filesystem::file_size(trace.events_log(), ec);
  std::cout << "size: " << total << " bytes (" << human_bytes(total) << "; event log "
            << human_bytes(ec ? 0 : log) << ", saved files "
            << human_bytes(dir_size(trace.files_dir())) << ")\n";
  bool complete = meta("complete") == "1";
  std::cout << "complete: " << (complete ? "yes" : "no") << "\n";
  if (std::string by = meta("ended_by"); !by.empty()) std::cout << "ended by: " << by << "\n";
  if (!complete) {
    std::string why = meta("stopped_because");
    std::cout << "note: "
              << (why.empty() ? "the recorder did not finish (killed?); the trace is readable up "
                                "to its last complete chunk"
                              : "recording stopped early: " + why)
              << "\n";
  }
  return 0;
}

}  // namespace ckrr
