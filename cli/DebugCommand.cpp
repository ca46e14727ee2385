// ckrr debug: the replay's gdb stub plus gdb connected to it, in one command.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "cli/GdbStub.h"
#include "cli/PluginOptions.h"
#include "core/Error.h"

namespace ckrr {

namespace {
const char* kHelp =
    "usage: ckrr debug TRACE [--to EVENT] [--pid PID] [--from-start] [--batch GDB-COMMAND]\n"
    "                        [--plugin PATH.so]...\n"
    "\n"
    "Replays TRACE under gdb: starts the replay's gdb stub (as 'ckrr replay TRACE --gdb :0'\n"
    "does) and gdb connected to it with 'target extended-remote'. The program stops at its\n"
    "first instruction, or right after event EVENT with --to. Everything gdb does forward works\n"
    "backward too: reverse-continue, reverse-step, reverse-next, reverse-finish, reverse-stepi,\n"
    "watchpoints. The replay is read-only: gdb is started with 'set may-write-memory off'.\n"
    "\n"
    "monitor commands: 'monitor when' (event, time, thread and the call), 'monitor seek EVENT',\n"
    "'monitor checkpoints'. A 'hookpost-monitor' refreshes gdb's registers after each.\n"
    "\n"
    "  --to EVENT     start right after event EVENT\n"
    "  --pid PID      debug this recorded process of the tree (default: the first; see 'ckrr\n"
    "                 info'); the others replay alongside. All its threads are shown.\n"
    "  --from-start   replay from the beginning, not from a checkpoint\n"
    "  --batch CMD    run gdb in batch mode: execute CMD (e.g. 'bt') at the stop, print what gdb\n"
    "                 prints and exit; the program's own output is not echoed\n"
    "  --plugin PATH.so  the plugins to load, as for 'ckrr replay' (default: the recorded set)\n"
    "\n"
    "The gdb run is $CKRR_GDB if set, else 'gdb' from PATH.\n";

// gdb commands run before connecting. may-write-memory must be off before `target`: gdb does
// not let it change while connected. After `monitor seek` the stub's registers changed behind
// gdb's back: the hook makes gdb fetch them again.
std::string gdb_script(uint16_t port) {
  return "set may-write-memory off\n"
         "define hookpost-monitor\n"
         "maintenance flush register-cache\n"
         "end\n"
         "target extended-remote 127.0.0.1:" +
         std::to_string(port) + "\n";
}
}  // namespace

int cmd_debug(const std::vector<std::string>& argv) {
  Args args(argv, {"--to", "--batch", "--pid", "--plugin"}, {"--from-start", "--help"},
            {{"-h", "--help"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  if (args.positional().size() != 1) throw Error("give exactly one TRACE (see --help)");
  ReplayOptions opt;
  opt.trace_dir = args.positional()[0];
  opt.to = args.get_uint("--to");
  opt.from_start = args.has("--from-start");
  load_plugins_for_trace(args, opt.trace_dir);
  std::optional<std::string> batch = args.get("--batch");
  if (batch) opt.quiet_through = UINT64_MAX;  // only gdb's answer goes to stdout
  const char* gdb_env = getenv("CKRR_GDB");
  std::string gdb = gdb_env && *gdb_env ? gdb_env : "gdb";
  // Ctrl-C in the terminal is for gdb (which forwards it to us as a packet), not for ckrr.
  signal(SIGINT, SIG_IGN);
  // A private temporary file (mkstemps: no guessable name another user could plant).
  std::string script =
      (getenv("TMPDIR") ? std::string(getenv("TMPDIR")) : "/tmp") + "/ckrr-debug-XXXXXX.gdb";
  pid_t child = -1;
  GdbStubOptions stub;
  if (auto pid = args.get_uint("--pid")) stub.pid = static_cast<pid_t>(*pid);
  stub.once = true;  // ends with its gdb
  serve_replay_to_gdb(opt, "127.0.0.1:0", stub, [&](uint16_t port) {
    int fd = mkstemps(script.data(), 4);
    if (fd < 0) throw Error("cannot create a temporary gdb script in " + script);
    std::string text = gdb_script(port);
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    if (!ok) throw Error("cannot write " + script);
    child = fork();
    if (child == 0) {
      signal(SIGINT, SIG_DFL);
      if (batch)
        execlp(gdb.c_str(), gdb.c_str(), "-q", "-batch", "-nx", "-x", script.c_str(), "-ex",
               batch->c_str(), "-ex", "kill", static_cast<char*>(nullptr));
      else
        execlp(gdb.c_str(), gdb.c_str(), "-q", "-x", script.c_str(), static_cast<char*>(nullptr));
      perror(("ckrr: cannot run " + gdb).c_str());
      _exit(127);
    }
    if (child < 0) throw Error("cannot start gdb");
  });
  unlink(script.c_str());
  int st = 0;
  if (child > 0) waitpid(child, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

}  // namespace ckrr
