#include <iostream>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "core/Error.h"
#include "recorder/RecordSession.h"

namespace ckrr {

namespace {
const char* kHelp =
    "usage: ckrr record [-o TRACE] [--force] [--quiet] [--] PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM and records every nondeterministic input it receives (syscall results, time,\n"
    "randomness, signals, file and socket data) into the trace directory TRACE. The program's\n"
    "output and exit status pass through unchanged.\n"
    "\n"
    "  -o, --output TRACE   trace directory (default: a new directory under ./ckrr-traces/)\n"
    "  --force              replace TRACE if it is an existing ckrr trace\n"
    "  -q, --quiet          do not print where the trace went\n"
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
  Args args(argv, {"--output"}, {"--force", "--quiet", "--help"},
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
  RecordSession session(opt);
  return session.run();
}

}  // namespace ckrr
