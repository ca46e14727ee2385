#pragma once
// ckrr record's use of the in-process agent (agent/, plugins/AgentChannel): where the library
// is, the LD_PRELOAD the program starts with, the records flushed at each stop, and how many
// calls each process made through the buffer and how many stopped (`ckrr info`).
#include <sys/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "plugins/AgentChannel.h"

namespace ckrr {

class AgentRecording {
 public:
  // enabled: --agent or CKRR_AGENT=1 (off: the app loads no agent, every call stops).
  explicit AgentRecording(bool enabled);
  bool enabled() const { return enabled_; }
  // Whether CKRR_AGENT=1 in ckrr's environment asks for the agent (off by default for now).
  static bool allowed_by_env();
  // Puts the agent first in LD_PRELOAD (when enabled and found; a warning else).
  void prepare_env(std::vector<std::string>& envp);

  // At a stop of a thread (not a syscall's exit): the calls it buffered since its last stop,
  // to be emitted before anything else of this stop. Counts them, and the stop if seccomp.
  // (exiting: the thread's PTRACE_EVENT_EXIT stop; it may be inside the agent.)
  std::vector<Event> at_stop(Task& t, int32_t rec_tid, pid_t rec_pid, bool seccomp,
                             bool exiting = false);
  bool answer_request(Task& t, int32_t rec_tid) { return channel_.answer_request(t, rec_tid); }
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
};

}  // namespace ckrr
