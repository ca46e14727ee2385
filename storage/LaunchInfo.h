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
  // The CPU the program ran on: replay runs it on the same one, because cpuid (which cannot be
  // trapped here) reports a different APIC id on each CPU and libc keeps what it reports.
  int cpu = 0;
  // Signal dispositions and mask the program started with (ignored signals and the mask are
  // inherited across exec and change what a program does, e.g. python skips its SIGINT handler
  // when SIGINT is ignored): bit N-1 for signal N.
  uint64_t ignored_signals = 0;
  uint64_t blocked_signals = 0;

  // Written 0600, atomically (temp file + rename). Throws Error.
  void save(const std::filesystem::path& file) const;
  // Throws TraceError naming the file when missing or malformed.
  static LaunchInfo load(const std::filesystem::path& file);
};

}  // namespace ckrr
