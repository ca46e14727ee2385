#include <algorithm>
#include <iostream>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "cli/PluginOptions.h"
#include "core/Duration.h"
#include "core/Error.h"
#include "recorder/RecordSession.h"

namespace ckrr {

namespace {
const char* kHelp =
    "usage: ckrr record [-o TRACE] [--force] [--checkpoint-interval DURATION]\n"
    "                   [--max-slice DURATION] [--quiet]\n"
    "                   [--plugin PATH.so]... [--] PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM and records every nondeterministic input it receives (syscall results, time,\n"
    "randomness, signals, file and socket data) into the trace directory TRACE. The program's\n"
    "output and exit status pass through unchanged.\n"
    "\n"
    "  -o, --output TRACE   trace directory (default: a new directory under ./ckrr-traces/)\n"
    "  --force              replace TRACE if it is an existing ckrr trace\n"
    "  --checkpoint-interval DURATION\n"
    "                       take a checkpoint every DURATION of recording (default 1s, spaced\n"
    "                       further so that checkpoints cost at most 5% of the run; given\n"
    "                       explicitly, no such limit; 0: none).\n"
    "                       Units: ns, us, ms, s, m, h; a bare number is seconds. A checkpoint\n"
    "                       can also be asked for at any time with 'ckrr checkpoint TRACE' or\n"
    "                       by sending SIGUSR2 to the recorder.\n"
    "  --max-slice DURATION one thread runs at a time; while others wait, a thread that makes\n"
    "                       no syscall is preempted after this long wherever it is (default\n"
    "                       10s; a spin loop is preempted after 1-2 ms). Shorter: more thread\n"
    "                       switches in compute loops, each costly to replay (see README).\n"
    "  -q, --quiet          do not print where the trace went\n"
    "  --no-agent / --agent do not load / load ckrr's in-process agent (libckrr_agent.so,\n"
    "                       LD_PRELOAD), which runs hot syscalls without a stop and buffers\n"
    "                       their results (on by default; also CKRR_AGENT=0/1). Replay does\n"
    "                       what the recording did. --no-agent: every syscall stops, for\n"
    "                       comparison and bug reports\n"
    "  --plugin PATH.so     load a plugin (docs/PLUGINS.md; repeatable; also\n"
    "                       CKRR_PLUGINS=a.so:b.so). The trace records the set (name, version,\n"
    "                       path, SHA-256); replay, debug and restart load the same set.\n"
    "\n"
    "exit status: the program's (128+N when killed by signal N); 127 when PROGRAM is not\n"
    "found, 126 when it cannot be executed; 125 when ckrr itself failed (the reason is printed,\n"
    "and the events recorded up to that point are kept).\n";
}  // namespace

int cmd_record(const std::vector<std::string>& argv) {
  if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
    std::cout << kHelp;
    return 0;
  }
  Args args(argv, {"--output", "--checkpoint-interval", "--max-slice", "--plugin"},
            {"--force", "--quiet", "--help", "--no-agent", "--agent"},
            {{"-o", "--output"}, {"-q", "--quiet"}, {"-h", "--help"}}, true);
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  if (args.positional().empty()) throw Error("no program given (usage: ckrr record PROGRAM ...)");
  RecordOptions opt;
  opt.argv = args.positional();
  if (auto o = args.get("--output")) opt.trace_dir = *o;
  opt.force = args.has("--force");
  opt.quiet = args.has("--quiet");
  opt.agent = AgentRecording::allowed_by_env();
  if (args.has("--agent")) opt.agent = true;
  if (args.has("--no-agent")) opt.agent = false;
  if (auto iv = args.get("--checkpoint-interval")) {
    auto ns = parse_duration_ns(*iv);
    if (!ns)
      throw Error("--checkpoint-interval: '" + *iv +
                  "' is not a duration (examples: 1s, 500ms, 2m, 0 for none)");
    opt.checkpoint_interval_ns = *ns;
    opt.checkpoint_share = 0;  // the spacing asked for, as far as publishing keeps up
  }
  if (auto ms = args.get("--max-slice")) {
    auto ns = parse_duration_ns(*ms);
    if (!ns || *ns < 1000000ull)
      throw Error("--max-slice: '" + *ms +
                  "' is not a duration of at least 1ms (examples: 5ms, 1s)");
    opt.max_slice_ns = *ns;
    opt.max_slice_timeout_ns = std::max(opt.max_slice_timeout_ns, *ns);
  }
  load_plugins_for_record(args);
  RecordSession session(opt);
  return session.run();
}

}  // namespace ckrr
