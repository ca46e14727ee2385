#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "core/CpuFeatures.h"
#include "core/Error.h"
#include "core/Sha256.h"
#include "storage/EventLogReader.h"
#include "storage/FileStore.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

namespace {
const char* kHelp =
    "usage: ckrr pack TRACE\n"
    "\n"
    "Makes a recording self-contained, to replay it on another x86-64 machine: checks that\n"
    "every executable and library it ran is stored in the trace with the content recorded\n"
    "(a missing or damaged copy is taken again from the original file when that still has\n"
    "the same content), reads the whole event log (checksums), and lists the CPU features\n"
    "the recording relied on: a machine that lacks one is refused by 'ckrr replay' with a\n"
    "message naming it.\n"
    "\n"
    "exit status: 0 when the trace is self-contained, 1 when something cannot be repaired\n"
    "(listed), 125 when TRACE cannot be read.\n";

}  // namespace

int cmd_pack(const std::vector<std::string>& argv) {
  Args args(argv, {}, {"--help"}, {{"-h", "--help"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  if (args.positional().size() != 1) throw Error("give exactly one TRACE (see --help)");
  TraceDirectory trace = TraceDirectory::open(args.positional()[0]);
  auto index = TimelineIndex::open(trace.index_db(), false);

  // Every stored file: (stored name, the path it had when recorded).
  std::set<std::pair<std::string, std::string>> files;
  for (const auto& f : index->mapped_files()) files.insert({f.stored, f.path});
  for (const char* k : {"exe", "interp"}) {
    auto stored = index->meta(std::string(k) + "_stored");
    if (stored) files.insert({*stored, index->meta(k).value_or("")});
  }
  int bad = 0, repaired = 0;
  std::set<std::string> seen;
  for (const auto& [stored, original] : files) {
    if (!seen.insert(stored).second) continue;
    const std::string want = FileStore::hash_of(stored);
    const auto copy = trace.dir() / stored;
    if (!want.empty() && Sha256::hex_of_file(copy) == want) continue;
    if (!original.empty() && Sha256::hex_of_file(original) == want) {
      std::error_code ec;
      std::filesystem::create_directories(copy.parent_path(), ec);
      std::filesystem::permissions(copy.parent_path(), std::filesystem::perms::owner_all, ec);
      std::filesystem::copy_file(original, copy, std::filesystem::copy_options::overwrite_existing,
                                 ec);
      // As the store keeps them: 0700 for executables (replay binds and execs the copy).
      namespace fs = std::filesystem;
      const bool exec =
          (fs::status(original, ec).permissions() & fs::perms::owner_exec) != fs::perms::none;
      fs::permissions(
          copy, exec ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write, ec);
      if (!ec && Sha256::hex_of_file(copy) == want) {
        std::cout << "restored " << stored << " from " << original << "\n";
        ++repaired;
        continue;
      }
    }
    std::cout << "missing or damaged: " << stored << " (" << original
              << "); the original no longer has the recorded content\n";
    ++bad;
  }

  uint64_t events = 0;
  std::string log_problem;
  try {
    EventLogReader log(trace.events_log());
    Event e;
    while (log.next(e)) ++events;
    if (log.truncated()) log_problem = "the event log ends in a torn chunk (recording cut short)";
  } catch (const std::exception& e) {
    log_problem = e.what();
  }
  if (!log_problem.empty()) {
    std::cout << "event log: " << log_problem << "\n";
    ++bad;
  }

  std::cout << files.size() << " stored files checked (" << repaired << " restored), " << events
            << " events read\n";
  const auto cpu = index->meta("cpu_features");
  if (cpu) {
    std::cout << "cpu features the recording relied on (a replaying machine needs them):\n  "
              << *cpu << "\n";
    const auto missing = cpu_features_missing(*cpu);
    if (!missing.empty()) {
      std::cout << "this machine lacks:";
      for (const auto& m : missing) std::cout << " " << m;
      std::cout << "\n";
    }
  } else {
    std::cout << "cpu features: not recorded (a recording made before ckrr kept them)\n";
  }
  if (bad) {
    std::cout << trace.dir().string() << ": not self-contained (" << bad << " problems)\n";
    return 1;
  }
  index->set_meta("packed_unix_ns",
                  std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count()));
  std::cout << trace.dir().string() << ": self-contained\n";
  return 0;
}

}  // namespace ckrr
