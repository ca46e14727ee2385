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
// too; child processes forked after the restart run unsupervised (their syscalls stop and go on
// unchanged). A checkpoint of several processes restarts the whole tree (TreeRestart.h): each
// restored process is supervised the same way, with its own recorded pid; wait4/waitid results,
// getppid and getpgrp/getsid answer recorded pids.
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
  // The call runs while the loop goes on (wait4 may wait for a sibling the loop serves); its
  // exit stop comes back to finish_call.
  void run_with_args(Task& t, const Registers& original, const Registers& changed,
                     std::optional<int64_t> result_override, bool result_is_pid = false,
                     uint64_t siginfo_addr = 0);
  void finish_call(Task& t);
  void skip_with_result(Task& t, int64_t result);
  void gone(Task& t, int raw_status);
  void kill_all();

  struct Proc {
    VirtualIds ids;
    pid_t virtual_ppid = 0;  // the recorded parent (the recorder for the root)
  };
  // A call run with changed arguments, until its exit stop.
  struct Pending {
    Registers original;
    std::optional<int64_t> result_override;
    bool result_is_pid = false;  // the result is a real pid: translate it back
    uint64_t siginfo_addr = 0;   // waitid: its si_pid too
  };

  LiveOptions opt_;
  std::map<pid_t, std::unique_ptr<Task>> tasks_;  // the processes' threads, by real tid
  std::map<pid_t, Proc> procs_;                   // the restored processes, by real pid
  std::map<pid_t, Pending> pending_;              // by real tid
  pid_t pid_ = 0;                                 // the root's real pid
  bool done_ = false;
  int exit_code_ = 0;
};

}  // namespace ckrr
