#include "core/TaskStop.h"

#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cstring>

namespace ckrr {

TaskStop TaskStop::decode(pid_t tid, int status) {
  TaskStop s;
  s.tid = tid;
  s.raw_status = status;
  if (WIFEXITED(status)) {
    s.kind = Kind::Exited;
    s.code = WEXITSTATUS(status);
    return s;
  }
  if (WIFSIGNALED(status)) {
    s.kind = Kind::Killed;
    s.sig = WTERMSIG(status);
    return s;
  }
  int sig = WSTOPSIG(status);
  int event = (status >> 16) & 0xff;
  s.sig = sig;
  s.ptrace_event = event;
  if (sig == (SIGTRAP | 0x80)) {
    s.kind = Kind::SyscallStop;
    s.sig = 0;
    return s;
  }
  switch (event) {
    case 0:
      s.kind = Kind::Signal;
      return s;
    case PTRACE_EVENT_SECCOMP:
      s.kind = Kind::Seccomp;
      break;
    case PTRACE_EVENT_EXEC:
      s.kind = Kind::Exec;
      break;
    case PTRACE_EVENT_EXIT:
      s.kind = Kind::Exit;
      break;
    case PTRACE_EVENT_CLONE:
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
      s.kind = Kind::Clone;
      break;
    case PTRACE_EVENT_STOP:
      s.kind = Kind::GroupStop;
      break;
    default:
      s.kind = Kind::Signal;
      return s;
  }
  s.sig = 0;
  return s;
}

std::string TaskStop::describe() const {
  switch (kind) {
    case Kind::Seccomp:
      return "seccomp stop";
    case Kind::SyscallStop:
      return "syscall stop";
    case Kind::Exec:
      return "exec";
    case Kind::Exit:
      return "exit event";
    case Kind::Clone:
      return "clone event";
    case Kind::Signal:
      return std::string("signal ") + (sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    case Kind::GroupStop:
      return "group stop";
    case Kind::Exited:
      return "exited with status " + std::to_string(code);
    case Kind::Killed:
      return std::string("killed by SIG") + (sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
  }
  return "?";
}

}  // namespace ckrr
