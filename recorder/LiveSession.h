#pragma once
// ckrr restart: rebuilds the recorded process from a checkpoint and lets it run for real (not
// a replay: its syscalls reach the kernel and the outside world), supervised so that it never
// notices it is a new process:
//  - fds reopened at their saved offsets (FdReopener.h); its stdio is ckrr restart's own;
//  - the pid it was recorded with stays its pid (VirtualIds.h): getpid/gettid/set_tid_address
//    answer it, pids and /proc/<pid> paths it passes are translated to the real ones;
//  - rdtsc keeps trapping (PR_SET_TSC survives the restore; the vDSO keeps ckrr's patches), so
//    the supervisor executes it for the program;
//  - rseq keeps failing with ENOSYS, as when recorded (glibc registered none, and a late
//    registration would change what the restored libc believes).
// The process runs under the recording's seccomp filter, in ckrr's process group (Ctrl-C
// reaches it), pinned to the recorded CPU (cpuid answers what libc saw at startup).
// A checkpoint of several threads restarts them all, each keeping its recorded tid; a thread
// that waited in a call makes it again. Threads the program creates later are supervised
// too; child processes run unsupervised (their syscalls stop and go on unchanged).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "core/Task.h"
#include "recorder/VirtualIds.h"

namespace ckrr {

struct LiveOptions {
  std::filesystem::path trace_dir;
  std::optional<uint32_t> checkpoint;  // none: the latest usable one
};

class LiveSession {
 public:
  explicit LiveSession(LiveOptions opt);
  ~LiveSession();
  // Restores and runs until the program ends. Returns its status (128+N when killed by signal
  // N). Throws Error when no checkpoint can be restored.
  int run();

 private:
  void restore();
  void loop();
  void dispatch(Task& t, const TaskStop& s);
  void on_syscall(Task& t);
  void on_signal(Task& t, int sig);
  void on_exec(Task& t);
  // Runs the syscall at t's seccomp stop with `changed` registers, then puts the original
  // argument registers back (the program expects them preserved). result_override: what the
  // program sees as the result instead of the kernel's.
  void run_with_args(Task& t, const Registers& original, const Registers& changed,
                     std::optional<int64_t> result_override);
  void skip_with_result(Task& t, int64_t result);
  void gone(Task& t, int raw_status);
  void kill_all();

  LiveOptions opt_;
  std::map<pid_t, std::unique_ptr<Task>> tasks_;  // the process's threads, by real tid
  pid_t pid_ = 0;                                 // its real pid
  VirtualIds ids_;
  pid_t virtual_ppid_ = 0;
  bool done_ = false;
  int exit_code_ = 0;
};

}  // namespace ckrr
