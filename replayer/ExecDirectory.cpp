#include "replayer/ExecDirectory.h"

#include <sys/syscall.h>

#include <filesystem>

#include "core/Error.h"
#include "core/RemoteSyscall.h"

namespace ckrr {

void exec_in_directory(Task& t, const std::string& cwd,
                       const std::function<void(Task&)>& skip_call) {
  std::error_code ec;
  const auto now = std::filesystem::read_symlink("/proc/" + std::to_string(t.tid()) + "/cwd", ec);
  if (!ec && now.string() == cwd) return;
  before_pending_call(
      t, skip_call,
      [&](const Registers&) {
        const long r = remote_syscall(t, SYS_chdir, {stage_string(t, cwd)});
        if (r < 0)
          throw Error("replay: the program ran an exec in " + cwd +
                      ", which is not a directory here (" +
                      errno_text("chdir", static_cast<int>(-r)) +
                      "); create it, or replay where it exists");
      },
      "replay: the exec");
}

}  // namespace ckrr
