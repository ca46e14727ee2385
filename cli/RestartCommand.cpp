#include <iostream>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "cli/CpuCheck.h"
#include "cli/PluginOptions.h"
#include "core/Duration.h"
#include "core/Error.h"
#include "recorder/LiveSession.h"
#include "recorder/RecordSession.h"

namespace ckrr {

namespace {
const char* kHelp =
    "usage: ckrr restart TRACE [--checkpoint K] [--record -o TRACE2 [--force]\n"
    "                          [--checkpoint-interval DURATION]] [--plugin PATH.so]...\n"
    "\n"
    "Rebuilds the recorded program from a checkpoint and lets it run on for real (not a\n"
    "replay): for a job whose recording was cut short (crash, kill, reboot of the recorder) to\n"
    "resume from its last checkpoint instead of starting again.\n"
    "\n"
    "  --checkpoint K   restart from checkpoint K (see 'ckrr checkpoints TRACE'); default: the\n"
    "                   latest one, or, when it is missing or corrupt, the next earlier one\n"
    "  --record -o TRACE2  record the restarted program into a new trace; TRACE2 starts with\n"
    "                   a checkpoint of the restored state (replay of TRACE2 starts there)\n"
    "  --checkpoint-interval, --force  as for 'ckrr record' (with --record)\n"
    "  --ignore-cpu-features  restart although this CPU lacks features the recording's had\n"
    "  --plugin PATH.so the plugins to load, as for 'ckrr replay' (default: the recorded set;\n"
    "                   another set is refused). Each gets its checkpointed state back and\n"
    "                   its restart hook runs before the program resumes\n"
    "\n"
    "The program keeps the pid it had when recorded (getpid, gettid, kill, /proc/PID paths are\n"
    "translated to its new real pid), its files are reopened at their checkpointed offsets, and\n"
    "its stdin/stdout/stderr are ckrr restart's own. A file it had open for appending is cut\n"
    "back to its checkpointed size, so work redone after the checkpoint is not written twice;\n"
    "no other file is truncated. Pipes and sockets cannot be reopened: they become /dev/null,\n"
    "with a warning naming them. It resumes in ckrr's process group, so Ctrl-C reaches it.\n"
    "\n"
    "It refuses while the recorder that is writing TRACE still runs the program (two live\n"
    "copies would share its files). Which checkpoint (and event) it resumed from is printed\n"
    "on stderr.\n"
    "\n"
    "exit status: the program's (128+N when killed by signal N); 125 when it cannot be\n"
    "restarted.\n";
}  // namespace

int cmd_restart(const std::vector<std::string>& argv) {
  Args args(argv, {"--checkpoint", "--output", "--checkpoint-interval", "--plugin"},
            {"--record", "--force", "--ignore-cpu-features", "--help"},
            {{"-h", "--help"}, {"-o", "--output"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  if (args.positional().size() != 1) throw Error("give exactly one TRACE (see --help)");
  std::optional<uint32_t> checkpoint;
  if (auto k = args.get_uint("--checkpoint")) {
    if (*k > UINT32_MAX) throw Error("--checkpoint: no such checkpoint");
    checkpoint = static_cast<uint32_t>(*k);
  }
  if (args.has("--record")) {
    if (!args.has("--output")) throw Error("--record needs -o TRACE2");
    RecordOptions opt;
    opt.trace_dir = *args.get("--output");
    opt.force = args.has("--force");
    opt.restart_from = args.positional()[0];
    opt.restart_checkpoint = checkpoint;
    if (auto iv = args.get("--checkpoint-interval")) {
      auto ns = parse_duration_ns(*iv);
      if (!ns) throw Error("--checkpoint-interval: '" + *iv + "' is not a duration");
      opt.checkpoint_interval_ns = *ns;
      opt.checkpoint_share = 0;  // the spacing asked for, as far as publishing keeps up
    }
    require_recorded_cpu(args.positional()[0], args.has("--ignore-cpu-features"));
    load_plugins_for_trace(args, args.positional()[0]);
    RecordSession session(opt);
    return session.run();
  }
  if (args.has("--output") || args.has("--checkpoint-interval") || args.has("--force"))
    throw Error("-o, --force and --checkpoint-interval go with --record");
  LiveOptions opt;
  opt.trace_dir = args.positional()[0];
  opt.checkpoint = checkpoint;
  require_recorded_cpu(args.positional()[0], args.has("--ignore-cpu-features"));
  load_plugins_for_trace(args, args.positional()[0]);
  LiveSession session(opt);
  return session.run();
}

}  // namespace ckrr
