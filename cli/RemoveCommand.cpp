#include <signal.h>

#include <filesystem>
#include <iostream>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "core/Error.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

namespace {
const char* kHelp =
    "usage: ckrr rm [--force] TRACE...\n"
    "\n"
    "Deletes recordings. Only ckrr traces are deleted (a directory without a trace's VERSION\n"
    "file is refused), and a trace whose recorder is still running is refused unless --force.\n";
}  // namespace

int cmd_rm(const std::vector<std::string>& argv) {
  Args args(argv, {}, {"--force", "--help"}, {{"-h", "--help"}, {"-f", "--force"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  if (args.positional().empty()) throw Error("give the TRACE(s) to delete (see --help)");
  // Check every trace first: nothing is deleted when one of them is refused.
  for (const auto& p : args.positional()) {
    TraceDirectory trace = TraceDirectory::open(p);  // throws when not a trace
    auto index = TimelineIndex::open(trace.index_db(), true);
    const std::string recorder = index->meta("recorder_pid").value_or("");
    const bool complete = index->meta("complete").value_or("") == "1";
    if (!complete && !recorder.empty() && !args.has("--force") && kill(std::stoi(recorder), 0) == 0)
      throw Error(p + ": its recorder (pid " + recorder +
                  ") may still be writing it (--force deletes it anyway)");
  }
  for (const auto& p : args.positional()) {
    std::error_code ec;
    std::filesystem::remove_all(p, ec);
    if (ec) throw Error(p + ": " + ec.message());
  }
  return 0;
}

}  // namespace ckrr
