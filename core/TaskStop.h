#pragma once
// Why a traced task stopped, decoded from a waitpid status.
#include <signal.h>
#include <sys/types.h>

#include <string>

namespace ckrr {

struct TaskStop {
  enum class Kind {
    Seccomp,      // PTRACE_EVENT_SECCOMP: at syscall entry, syscall not yet run
    SyscallStop,  // PTRACE_SYSCALL entry or exit stop (SIGTRAP|0x80)
    Exec,         // PTRACE_EVENT_EXEC
    Exit,         // PTRACE_EVENT_EXIT: about to exit; status in event_msg
    Clone,        // PTRACE_EVENT_CLONE/FORK/VFORK; new tid in event_msg
    Signal,       // signal-delivery-stop; sig
    GroupStop,    // group-stop (PTRACE_EVENT_STOP)
    Exited,       // gone: exit code in code
    Killed,       // gone: killed by signal sig
  };
  Kind kind = Kind::Signal;
  pid_t tid = 0;
  int sig = 0;
  int code = 0;
  int raw_status = 0;
  int ptrace_event = 0;

  static TaskStop decode(pid_t tid, int status);
  bool gone() const { return kind == Kind::Exited || kind == Kind::Killed; }
  std::string describe() const;
};

}  // namespace ckrr
