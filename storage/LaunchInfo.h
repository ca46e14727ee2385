#pragma once
// TRACE/launch: how the recorded program was started (executable, argv, the whole environment,
// cwd, pid). Replay must start it with exactly these: the strings are copied onto the initial
// stack, so any difference would move every stack address.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace ckrr {

struct LaunchInfo {
  std::string path;  // resolved executable
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string cwd;
  pid_t pid = 0;

  // Written 0600, atomically (temp file + rename). Throws Error.
  void save(const std::filesystem::path& file) const;
  // Throws TraceError naming the file when missing or malformed.
  static LaunchInfo load(const std::filesystem::path& file);
};

}  // namespace ckrr
