#pragma once
// A traced task vanished under ckrr's hands: killed (SIGKILL from anywhere) between its stop and
// ckrr's next ptrace call or memory access. Not a failure: its death is reported by waitpid
// like any exit, and the supervisors handle it there.
#include <sys/types.h>

#include "core/Error.h"

namespace ckrr {

class TaskGone : public Error {
 public:
  TaskGone(pid_t tid, const std::string& what) : Error(what), tid_(tid) {}
  pid_t tid() const { return tid_; }

 private:
  pid_t tid_;
};

// Whether the task is no longer in a ptrace stop ckrr can act on (ptrace answers ESRCH):
// after a failed memory access, it tells a dead task from a bad address.
bool task_vanished(pid_t tid);

}  // namespace ckrr
