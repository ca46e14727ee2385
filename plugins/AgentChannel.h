#pragma once
// The supervisor's side of the in-process agent (agent/AgentAbi.h): each thread that loaded
// libckrr_agent.so owns a slot in a fixed region of its address space; the agent asks for it
// with a trapped request that ckrr answers itself (no event), in record and replay alike.
//  - record: at each stop of a thread, the records it buffered since its last stop become
//    events (one per call, blob::kBuffered), in the order they ran, before the stop's own event;
//  - replay: before the thread runs, the buffered events that come next in the log are written
//    into its slot; at its next stop it must have taken all of them, else the first one it did
//    not take is a divergence.
// Slots are found by their owner (the recorded tid in the slot's header), so a process restored
// from a checkpoint needs nothing but its memory.
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/Task.h"
#include "storage/Event.h"

namespace ckrr {

class AgentChannel {
 public:
  enum class Mode : uint32_t { Off = 0, Record = 1, Replay = 2 };
  explicit AgentChannel(Mode mode) : mode_(mode) {}

  // At a seccomp stop: whether it is the agent's request; if so it is answered and skipped
  // (the caller resumes the thread).
  bool answer_request(Task& t, int32_t rec_tid);

  // At a seccomp stop of a call the agent buffers, made from libc's usual sequence: that site
  // is patched to go through the agent from now on (AgentAbi.h). Record and replay call it at
  // the same stops, so the code stays the same in both.
  bool patch_site(Task& t, int32_t rec_tid);

  // Record: the thread's buffered calls since its last stop, as events (seq and time unset);
  // its slot is emptied. Not while the agent writes a record (a stop inside it), unless the
  // thread is exiting (it will not write on).
  std::vector<Event> take_records(Task& t, int32_t rec_tid, bool exiting = false);

  // Whether the event ran through the agent's buffer (a syscall, or an rdtsc at a patched site).
  static bool buffered(const Event& ev) {
    return (ev.kind == EventKind::Syscall || ev.kind == EventKind::Rdtsc) &&
           ev.find_blob(blob::kBuffered);
  }
  // Replay: the bytes an event takes in a slot, and how many a slot holds.
  static uint64_t record_size(const Event& ev);
  static uint64_t capacity();
  // Replay: writes these events (each with blob::kBuffered) into the thread's slot. False if
  // the thread has no slot.
  bool fill(Task& t, int32_t rec_tid, std::vector<Event> events);
  // Replay: whether events given to the thread have not been checked yet (at its next stop).
  bool pending(int32_t rec_tid) const {
    auto it = filled_.find(rec_tid);
    return it != filled_.end() && !it->second.events.empty();
  }
  // Replay: whether the thread has taken every event given to it. A signal the recorder placed
  // at the agent's unblocking rt_sigprocmask is at a point every buffered call passes with the
  // same registers: the pass is the one after the last call flushed before it (the recorder
  // flushes at the signal's stop), i.e. where the thread has taken everything it was given.
  bool all_taken(Task& t, int32_t rec_tid);
  // Replay: the first event given to the thread that it did not take (nullopt: all taken).
  std::optional<Event> untaken(Task& t, int32_t rec_tid);

  // Record: asks the running thread's agent to make its next call a trapped one (a stop).
  void request_stop(Task& t, int32_t rec_tid);
  // Record: the mode of the thread's slot (Off: every call traps from now on), also for the
  // slot it registers later.
  void set_mode(Task& t, int32_t rec_tid, Mode mode);

  static bool in_region(uint64_t addr);
  // Whether the agent may run syscall nr inside the app, unseen by plugins (PluginRegistry
  // refuses a loaded plugin's takeover of such a call).
  static bool may_buffer(long nr);
  // Every slot of the process that is not Off to this mode (a restored process: Replay; a
  // restarted one: Off, its agent then traps every call).
  static void set_mode_all(Task& t, Mode mode);

 private:
  uint64_t slot_of(Task& t, int32_t rec_tid);
  Mode mode_;
  std::map<int32_t, uint64_t> slots_;  // recorded tid -> slot (0: known to have none)
  std::map<int32_t, Mode> modes_;      // set_mode: a thread's mode other than mode_
  struct Filled {
    std::vector<uint64_t> offsets;  // of each record
    std::vector<Event> events;
    bool written = false;  // into the slot (else: at the thread's request for one)
  };
  void write_filled(Task& t, uint64_t slot, Filled& f);
  std::map<int32_t, Filled> filled_;
};

}  // namespace ckrr
