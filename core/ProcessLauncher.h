#pragma once
// Starts the program to record or replay as a traced child: ASLR off, pinned to the
// supervisor's CPU (a ptrace stop costs 4-8x more across CPUs), rdtsc trapping, the seccomp
// filter, and (replay) a private mount namespace where recorded executables that changed since
// are bind-mounted back over their paths.
#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace ckrr {

struct LaunchOptions {
  std::string path;  // executable to exec (resolved)
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::vector<sock_filter> filter;
  int cpu = -1;  // pin child (and caller) to this CPU; -1: current CPU
  bool stdio_to_devnull = false;
  bool new_process_group = false;  // replay: terminal signals go to ckrr, not the app
  std::vector<std::pair<std::string, std::string>> bind_mounts;  // (source, target)
  // The program starts in this directory (replay: the recorded one, so that a relative
  // program path resolves as it did); "" keeps the caller's.
  std::string cwd;
  // The program starts with exactly these ignored signals and this mask (bit N-1: signal N),
  // not with whatever the supervisor set for itself.
  uint64_t ignored_signals = 0;
  uint64_t blocked_signals = 0;
};

// The caller's ignored signals and mask, as LaunchOptions wants them.
void current_signal_state(uint64_t* ignored, uint64_t* blocked);

// Returns the pid of a child stopped just before its execve, traced with ckrr's ptrace options.
// Throws Error if the child could not be set up.
pid_t launch_traced(const LaunchOptions& opt);

// Resolves a program name like execvp would. Returns "" if not found; sets *err (ENOENT/EACCES).
std::string resolve_program(const std::string& name, int* err);

// The CPU the caller runs on; pins the caller to it.
int pin_to_current_cpu();
// Pins the caller to cpu; false if that CPU cannot be used here.
bool pin_to_cpu(int cpu);

}  // namespace ckrr
