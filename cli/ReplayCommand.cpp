#include <iostream>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "cli/CpuCheck.h"
#include "cli/GdbStub.h"
#include "cli/PluginOptions.h"
#include "core/Error.h"
#include "replayer/ReplaySession.h"

namespace ckrr {

namespace {
const char* kHelp =
    "usage: ckrr replay TRACE [--to EVENT] [--print-state] [--state-out FILE] [--progress]\n"
    "                         [--from-checkpoint K | --from-start]\n"
    "                         [--gdb [HOST:]PORT [--pid PID] [--once]] [--plugin PATH.so]...\n"
    "\n"
    "Runs the recorded program again, feeding it the recorded inputs: it prints the same output\n"
    "and ends with the same status, whatever changed on the machine since. Any difference from\n"
    "the recording is reported as a divergence (event, expected, actual) and ends the replay.\n"
    "\n"
    "  --to EVENT       stop right after event EVENT (numbers as in 'ckrr events')\n"
    "  --print-state    at the stop, print registers, the symbol at rip, and digests of the\n"
    "                   process's writable memory and fd table\n"
    "  --state-out FILE write that state to FILE instead of stdout\n"
    "  --progress       report progress on stderr as 'ckrr-progress: DONE/TOTAL' lines\n"
    "  --from-checkpoint K  start from checkpoint K (see 'ckrr checkpoints')\n"
    "  --from-start     start from the beginning, not from a checkpoint\n"
    "  --gdb [HOST:]PORT  serve the replay to gdb ('target extended-remote HOST:PORT'),\n"
    "                   stopped at the program's first instruction or at --to; host\n"
    "                   127.0.0.1 by default, port 0 picks one (printed on stderr).\n"
    "                   Forward and reverse execution, every thread; see also 'ckrr debug'.\n"
    "  --pid PID        with --gdb: the recorded process to debug (default: the first; 'ckrr\n"
    "                   info' lists them); the others replay alongside\n"
    "  --once           with --gdb: end when the first gdb leaves. Otherwise, as gdbserver,\n"
    "                   the stub serves the next gdb after a detach, a disconnect or a port\n"
    "                   probe, and ends on gdb's 'kill' or Ctrl-C\n"
    "  --ignore-cpu-features  replay although this CPU lacks features the recording's had\n"
    "  --plugin PATH.so the plugins to load (repeatable; also CKRR_PLUGINS=a.so:b.so);\n"
    "                   default: those the trace was recorded with, from their recorded paths.\n"
    "                   A set other than the recorded one (missing, extra, other version) is\n"
    "                   refused\n"
    "\n"
    "With --to, replay starts from the latest checkpoint at or before EVENT (a checkpoint that\n"
    "is missing or corrupt is reported and the next earlier one is used).\n"
    "\n"
    "exit status: the recorded program's status when replayed to the end, 0 when stopped by\n"
    "--to, 125 on a divergence or an unreadable trace.\n";
}  // namespace

int cmd_replay(const std::vector<std::string>& argv) {
  Args args(
      argv, {"--to", "--state-out", "--from-checkpoint", "--gdb", "--pid", "--plugin"},
      {"--print-state", "--progress", "--from-start", "--once", "--ignore-cpu-features", "--help"},
      {{"-h", "--help"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  if (args.positional().size() != 1) throw Error("give exactly one TRACE (see --help)");
  ReplayOptions opt;
  opt.trace_dir = args.positional()[0];
  opt.to = args.get_uint("--to");
  opt.print_state = args.has("--print-state");
  if (auto f = args.get("--state-out")) opt.state_out = *f;
  opt.progress = args.has("--progress");
  if (opt.print_state && !opt.to) throw Error("--print-state needs --to EVENT");
  if (auto k = args.get_uint("--from-checkpoint")) opt.from_checkpoint = static_cast<int64_t>(*k);
  opt.from_start = args.has("--from-start");
  if (opt.from_start && opt.from_checkpoint)
    throw Error("--from-start and --from-checkpoint exclude each other");
  require_recorded_cpu(opt.trace_dir, args.has("--ignore-cpu-features"));
  load_plugins_for_trace(args, opt.trace_dir);
  if (auto gdb = args.get("--gdb")) {
    if (opt.print_state) throw Error("--print-state and --gdb exclude each other");
    GdbStubOptions stub;
    if (auto pid = args.get_uint("--pid")) stub.pid = static_cast<pid_t>(*pid);
    stub.once = args.has("--once");
    serve_replay_to_gdb(opt, *gdb, stub);
    return 0;
  }
  if (args.get("--pid") || args.has("--once")) throw Error("--pid and --once go with --gdb");
  ReplaySession session(opt);
  return session.run();
}

}  // namespace ckrr
