#include "core/ThreadedExec.h"

#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace ckrr {

TaskStop wait_threaded_exec(Task& t, const std::vector<pid_t>& others, std::set<pid_t>& reaped,
                            const std::function<void(pid_t, int)>& stale) {
  const pid_t tid = t.tid(), tgid = t.tgid();
  // Polled: the caller's result shows at one of two pids, and blocking on either would keep
  // the others' deaths, which the exec waits for, uncollected.
  for (;;) {
    int st = 0;
    if (waitpid(tid, &st, __WALL | WNOHANG) == tid) return TaskStop::decode(tid, st);
    if (tid != tgid && waitpid(tgid, &st, __WALL | WNOHANG) == tgid) {
      TaskStop s = TaskStop::decode(tgid, st);
      if (s.kind == TaskStop::Kind::Exec) {
        t.became_leader();
        return s;
      }
      stale(tgid, st);
    }
    for (pid_t o : others) {
      if (o == tgid || reaped.count(o)) continue;
      if (waitpid(o, &st, __WALL | WNOHANG) != o) continue;
      if (WIFEXITED(st) || WIFSIGNALED(st))
        reaped.insert(o);
      else
        stale(o, st);
    }
    usleep(50);
  }
}

void reap_ended_threads(pid_t tgid, const std::vector<pid_t>& others,
                        const std::set<pid_t>& reaped) {
  for (pid_t o : others) {
    while (o != tgid && !reaped.count(o)) {
      int st = 0;
      pid_t r = waitpid(o, &st, __WALL);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st)) break;
      ptrace(PTRACE_CONT, o, nullptr, nullptr);  // a stop from before its death
    }
  }
}

}  // namespace ckrr
