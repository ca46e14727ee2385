#pragma once
// The pid a restarted program keeps seeing. A live restart runs the program in a new process
// whose real pid differs from the one it had when recorded (its "virtual" pid, which it may
// have stored, printed, or written into files). The supervisor answers getpid/gettid with the
// virtual pid and translates the virtual pid back to the real one wherever the program hands
// a pid to the kernel: signal targets, pid arguments, /proc/<pid>/... paths.
//
// A process restarted with several threads also keeps its threads' tids: each restored thread
// answers gettid with its recorded tid, and tids the program passes (tgkill, sched_*, /proc/
// <pid>/task/<tid>) are translated. Threads created after the restart and child processes keep
// their real ids.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/Task.h"

namespace ckrr {

struct VirtualIds {
  pid_t virtual_pid = 0;  // what the program saw when recorded
  pid_t real_pid = 0;     // the process now
  // Recorded tid -> real tid of every restored thread, when there were several (empty: the one
  // thread's tid is the pid). The recorded leader may run in a thread other than the real one.
  std::map<pid_t, pid_t> tids;
  // The other processes of a restarted tree (TreeRestart.h): recorded pid -> real pid.
  std::map<pid_t, pid_t> peers;

  // The pid to give the kernel for one the program passed. Negative pids (process groups),
  // 0 (self) and -1 (all) pass unchanged except -virtual_pid, the program's own group when it
  // led one.
  pid_t to_real(pid_t pid) const;
  // The pid the program should see for one the kernel returned.
  pid_t to_virtual(pid_t pid) const;
  // The same for thread ids: a recorded tid to the real one, and back (gettid's answer).
  pid_t tid_to_real(pid_t tid) const;
  pid_t tid_to_virtual(pid_t real_tid) const;
  bool identity() const { return virtual_pid == real_pid && tids.empty() && peers.empty(); }
  // "/proc/<virtual>[/...]" (and ".../task/<virtual>" inside it) with the real pid; nullopt
  // when the path needs no change.
  std::optional<std::string> translate_proc_path(const std::string& path) const;

  // Rewrites the arguments of syscall nr in regs for the kernel: virtual pids to real ones,
  // /proc/<virtual pid> paths to a copy in ckrr's scratch page. Returns whether it changed
  // anything (the caller then runs the call with regs and puts the originals back after).
  bool translate_args(Task& t, long nr, Registers& regs) const;

  // The argument indexes (0-5) of syscall nr that hold a pid the kernel will act on.
  static std::vector<int> pid_args(long nr);
  // Those of them that name a thread (tkill, tgkill's second, sched_*, get_robust_list).
  static bool is_tid_arg(long nr, int index);
  // The argument index of syscall nr's path argument, or -1.
  static int path_arg(long nr);
};

}  // namespace ckrr
