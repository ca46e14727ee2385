#pragma once
// ckrr record's use of the in-process agent (agent/, plugins/AgentChannel): where the library
// is, the LD_PRELOAD the program starts with, the records flushed at each stop, and how many
// calls each process made through the buffer and how many stopped (`ckrr info`).
#include <sys/types.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/TaskStop.h"
#include "plugins/AgentChannel.h"

namespace ckrr {

class AgentRecording {
 public:
  // enabled: the default (off with --no-agent or CKRR_AGENT=0: the app loads no agent, every
  // call stops).
  explicit AgentRecording(bool enabled);
  bool enabled() const { return enabled_; }
  // Whether ckrr's environment lets the agent load: on unless CKRR_AGENT=0.
  static bool allowed_by_env();
  // Puts the agent first in LD_PRELOAD (when enabled and found; a warning else).
  void prepare_env(std::vector<std::string>& envp);

  // At a stop of a thread (not a syscall's exit): the calls it buffered since its last stop,
  // to be emitted before anything else of this stop. Counts them, and the stop if seccomp.
  // (exiting: the thread's PTRACE_EVENT_EXIT stop; it may be inside the agent.)
  std::vector<Event> at_stop(Task& t, int32_t rec_tid, pid_t rec_pid, bool seccomp,
                             bool exiting = false);
  // The same at a stop the dispatcher got. Where the agent must not buffer, its slot is Off
  // (replay then has no record to give, so its agent traps the same calls): at a vfork, the
  // child runs on its parent's memory and TLS, so on the parent's slot: Off until the parent's
  // next syscall (the child has exec'd or exited by then).
  std::vector<Event> at_stop(Task& t, int32_t rec_tid, pid_t rec_pid, const TaskStop& s);
  // A thread an app's tracer follows: its tracer must see every call, so its slot is Off from
  // now on (called at the tracer's stops, before the tracee runs again).
  void traced_by_app(Task& t, int32_t rec_tid);
  bool answer_request(Task& t, int32_t rec_tid) { return channel_.answer_request(t, rec_tid); }
  // A checkpoint is due while the thread runs: its agent's next call stops (so that a program
  // whose calls are all buffered still reaches the stops checkpoints are taken at).
  void request_stop(Task& t, int32_t rec_tid) {
    if (enabled_) channel_.request_stop(t, rec_tid);
  }
  void patch_site(Task& t, int32_t rec_tid) { channel_.patch_site(t, rec_tid); }
  // Whether rip is in the agent's code (or its syscall instruction): a thread is not
  // preempted there, since record and replay run different agent code.
  static bool inside(Task& t, uint64_t rip);
  // "PID: N buffered, M stopped" per process.
  std::string counts_text() const;

 private:
  bool enabled_;
  AgentChannel channel_;
  std::map<pid_t, std::pair<uint64_t, uint64_t>> counts_;  // buffered, stopped
  std::set<int32_t> off_;      // threads an app's tracer follows: their slots are Off
  std::set<int32_t> vforked_;  // parents of a vfork child: Off until their next syscall
};

}  // namespace ckrr
