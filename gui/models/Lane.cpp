#include "gui/models/Lane.h"

#include <array>

namespace ckrr::gui {

Lane classifyLane(int kind, std::string_view name) {
  switch (kind) {
    case 2:
      return Lane::Signals;
    case 4:
      return Lane::ExecMmap;
    case 5:
      return Lane::Tasks;
    case 1:
      break;
    default:
      return Lane::Syscalls;
  }
  static constexpr std::array<std::string_view, 10> kMem = {
      "mmap",   "munmap",   "mremap",        "mprotect", "brk",
      "execve", "execveat", "pkey_mprotect", "madvise",  "shmat"};
  static constexpr std::array<std::string_view, 6> kTask = {"clone", "clone3", "fork",
                                                            "vfork", "exit",   "exit_group"};
  for (auto n : kMem)
    if (name == n) return Lane::ExecMmap;
  for (auto n : kTask)
    if (name == n) return Lane::Tasks;
  // Signal sending and handling setup belong with the signals the thread receives.
  if (name == "kill" || name == "rt_sigaction" || name == "tgkill" || name == "tkill" ||
      name == "rt_sigreturn")
    return Lane::Signals;
  return Lane::Syscalls;
}

const char* laneName(Lane lane) {
  switch (lane) {
    case Lane::Syscalls:
      return "syscalls";
    case Lane::Signals:
      return "signals";
    case Lane::ExecMmap:
      return "exec/mmap";
    case Lane::Tasks:
      return "threads/procs";
  }
  return "?";
}

const char* globalLaneName(GlobalLane lane) {
  return lane == GlobalLane::Checkpoints ? "checkpoints" : "bookmarks";
}

}  // namespace ckrr::gui
