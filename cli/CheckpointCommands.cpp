#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "core/Error.h"
#include "recorder/ProcessRestart.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

namespace {

const char* kCheckpointHelp =
    "usage: ckrr checkpoint TRACE\n"
    "\n"
    "Asks the recorder that is writing TRACE to take a checkpoint at the program's next syscall\n"
    "(the same as sending SIGUSR2 to the recorder).\n";

const char* kCheckpointsHelp =
    "usage: ckrr checkpoints TRACE\n"
    "\n"
    "Lists the checkpoints of a recording: id, the event it follows, time into the recording,\n"
    "resident memory saved, and bytes it added to the trace.\n";

std::unique_ptr<TimelineIndex> open_index(const std::vector<std::string>& argv, const char* help,
                                          bool* show_help) {
  Args args(argv, {}, {"--help"}, {{"-h", "--help"}});
  *show_help = args.has("--help");
  if (*show_help) {
    std::cout << help;
    return nullptr;
  }
  if (args.positional().size() != 1) throw Error("give exactly one TRACE (see --help)");
  TraceDirectory trace = TraceDirectory::open(args.positional()[0]);
  return TimelineIndex::open(trace.index_db(), true);
}

}  // namespace

int cmd_checkpoint(const std::vector<std::string>& argv) {
  bool help = false;
  auto index = open_index(argv, kCheckpointHelp, &help);
  if (help) return 0;
  if (index->meta("complete").value_or("0") == "1")
    throw Error("this recording has finished; checkpoints are taken while recording");
  auto pid_text = index->meta("recorder_pid");
  if (!pid_text) throw Error("the trace does not name its recorder");
  pid_t pid = static_cast<pid_t>(std::stol(*pid_text));
  if (!recorder_running(pid))
    throw Error("the recorder (pid " + *pid_text + ") is not running any more");
  if (kill(pid, SIGUSR2) != 0) throw Error("cannot signal the recorder (pid " + *pid_text + ")");
  std::cout << "asked recorder " << pid << " for a checkpoint\n";
  return 0;
}

int cmd_checkpoints(const std::vector<std::string>& argv) {
  bool help = false;
  auto index = open_index(argv, kCheckpointsHelp, &help);
  if (help) return 0;
  printf("%-4s %-10s %-10s %-12s %s\n", "id", "event", "time(s)", "rss", "bytes added");
  for (const CheckpointRow& c : index->checkpoints())
    printf("%-4lld %-10llu %-10.3f %-12llu %llu\n", static_cast<long long>(c.id),
           static_cast<unsigned long long>(c.seq), c.time_ns / 1e9,
           static_cast<unsigned long long>(c.rss), static_cast<unsigned long long>(c.bytes_added));
  return 0;
}

}  // namespace ckrr
