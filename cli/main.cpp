// ckrr: record, replay and inspect program executions.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/Commands.h"
#include "core/Error.h"
#ifdef CKRR_HAVE_GUI
#include "gui/GuiMain.h"
#endif

namespace {

const char* kUsage =
    "usage: ckrr <command> [options]\n"
    "\n"
    "Record-replay debugger for Linux x86-64; needs no hardware performance counters.\n"
    "\n"
    "commands:\n"
    "  record [-o TRACE] [--force] [--] PROGRAM [ARGS...]   record a run\n"
    "  replay TRACE [--to EVENT] [--print-state]            replay it deterministically\n"
    "  replay TRACE --gdb [HOST:]PORT                       ... and serve it to gdb (reverse too)\n"
    "  debug TRACE [--to EVENT]                             replay under gdb\n"
    "  info TRACE                                           summary of a recording\n"
    "  events TRACE [--from N] [--to M] [-e trace=SET] [--json]  the events, as strace shows "
    "calls\n"
    "  checkpoint TRACE                                     ask a running recorder for one now\n"
    "  checkpoints TRACE                                    list a recording's checkpoints\n"
    "  restart TRACE [--checkpoint K]                       resume it live from a checkpoint\n"
    "  gui TRACE                                            timeline GUI (Qt 6)\n"
    "  ls [DIR]                                             the recordings in ./ckrr-traces or "
    "DIR\n"
    "  rm TRACE...                                          delete recordings\n"
    "  pack TRACE                                           make a recording self-contained\n"
    "\n"
    "Run 'ckrr <command> --help' for the options of a command.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string cmd = argv[1];
  std::vector<std::string> rest(argv + 2, argv + argc);
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "ckrr 0.1.0\n";
    return 0;
  }
  try {
    if (cmd == "record") return ckrr::cmd_record(rest);
    if (cmd == "replay") return ckrr::cmd_replay(rest);
    if (cmd == "debug") return ckrr::cmd_debug(rest);
    if (cmd == "info") return ckrr::cmd_info(rest);
    if (cmd == "events") return ckrr::cmd_events(rest);
    if (cmd == "checkpoint") return ckrr::cmd_checkpoint(rest);
    if (cmd == "checkpoints") return ckrr::cmd_checkpoints(rest);
    if (cmd == "restart") return ckrr::cmd_restart(rest);
    if (cmd == "ls") return ckrr::cmd_ls(rest);
    if (cmd == "rm") return ckrr::cmd_rm(rest);
    if (cmd == "pack") return ckrr::cmd_pack(rest);
    if (cmd == "gui") {
#ifdef CKRR_HAVE_GUI
      return ckrr::gui::run_gui(argc, argv);
#else
      std::cerr << "ckrr gui: this ckrr was built without the GUI: Qt 6 Widgets or Capstone was "
                   "not found when it was built (scripts/install-deps.sh --gui installs them; "
                   "then rebuild)\n";
      return 2;
#endif
    }
  } catch (const ckrr::Error& e) {
    std::cerr << "ckrr " << cmd << ": " << e.what() << "\n";
    return 125;
  } catch (const std::exception& e) {
    std::cerr << "ckrr " << cmd << ": internal error: " << e.what() << "\n";
    return 125;
  }
  std::cerr << "ckrr: unknown command '" << cmd << "'\n\n" << kUsage;
  return 2;
}
