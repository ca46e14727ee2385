#pragma once
// The replay as gdb sees it: a gdb::DebugTarget over a ReplaySession driven event by event.
// Forward: the process runs between events with gdb's int3s and debug registers armed; a stop
// that is ours goes to gdb, one that is the next event goes to the session and the run goes on.
// Backward: replay again from the nearest checkpoint (or the start) to the current position,
// noting every breakpoint/watchpoint stop, then go to the last one (ReplayPosition.h).
#include <pthread.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>

#include "checkpoint/ProcessSnapshot.h"
#include "replayer/Breakpoints.h"
#include "replayer/DebugRegisters.h"
#include "replayer/ReplayPosition.h"
#include "replayer/ReplaySession.h"
#include "replayer/gdb/DebugTarget.h"

namespace ckrr {

class ReplayDebugTarget : public gdb::DebugTarget {
 public:
  // Replays to `base.to` (or to the program's first instruction after its exec).
  explicit ReplayDebugTarget(ReplayOptions base);
  ~ReplayDebugTarget() override;

  int pid() override;
  std::vector<gdb::ThreadInfo> threads() override;
  gdb::ThreadId current_thread() override { return pid(); }
  bool has_avx() override;
  std::optional<gdb::X86RegisterFile> registers(gdb::ThreadId tid) override;
  size_t read_memory(uint64_t addr, void* out, size_t len) override;
  gdb::TargetResult insert_breakpoint(gdb::BreakpointType type, uint64_t addr, size_t len) override;
  gdb::TargetResult remove_breakpoint(gdb::BreakpointType type, uint64_t addr, size_t len) override;
  gdb::StopReason resume(const gdb::ResumeRequest& req) override;
  std::vector<uint8_t> auxv() override;
  std::string exec_file() override;
  std::optional<gdb::Svr4LibraryList> libraries() override;
  gdb::MonitorResult monitor(const std::string& command) override;
  void interrupt() override;
  void kill() override;
  void detach() override { kill(); }

  const Position& position() const { return pos_; }

 private:
  // What one resume of the process ended with.
  struct Outcome {
    // Again: a stop that was neither ours nor an event (a signal from outside the replay,
    // resumed without delivery): the same resume goes on.
    // Interrupted: gdb's Ctrl-C came while the process ran between two events; it is then
    // somewhere no path describes, and must be replaced (go_to) before anything else.
    enum class Kind { Event, Hit, Step, End, Exited, Again, Interrupted } kind = Kind::Event;
    bool sw_hit = false;  // stopped on (or, stepping, landed on) one of the set's int3s
    int watch = -1;       // index into the set's hw of a watch that fired
    int exit_status = 0;  // Exited: wait status
  };
  // Candidates noted while replaying toward a position (reverse search).
  struct Collector {
    BreakSet set;
    std::optional<Position> last;
    gdb::StopReason reason;
  };

  // An in-memory snapshot: a stopped copy (fork) of the process right after an event, and the
  // session state that goes with it. Going back to a point after it clones the copy again.
  struct MemSnapshot {
    std::unique_ptr<ProcessSnapshot> copy;
    Registers regs{};
    std::vector<uint8_t> xstate;
    ReplaySession::SavedState state;
  };
  // Takes one at the current event boundary when the last one is more than a few
  // milliseconds of replay ago (always when `force`).
  void maybe_snapshot(bool force = false);
  void resume_snapshot(MemSnapshot& m);
  // New session at the latest checkpoint at or before `event` (or the start), held there.
  void restart(uint64_t event);
  // Lets the process run (or step) once until a stop: an event, one of `set`'s stops, the end.
  Outcome advance(bool step, const BreakSet& set);
  Outcome classify(const TaskStop& s, bool step, const BreakSet& set);
  // Replays to p, from the nearest checkpoint at or before it (or from where we are when p is
  // ahead in the current segment... kept simple: always from a checkpoint), noting c's stops.
  void go_to(const Position& p, Collector* c);
  // Runs forward (no restart) from an event boundary before p to p, noting c's stops.
  void forward_to(const Position& p, Collector* c);
  // The position one instruction before p; nullopt at the start of the recording.
  std::optional<Position> before(Position p);  // by value: p is often pos_, which moves
  // before() for a continue stop p (prev: p less that stop), without single-stepping the whole
  // way from prev: instruction breakpoints on the likely previous instructions (the call that
  // entered a function at p, the 15 addresses before p's pc), a few at a time; the one whose
  // next step reaches p is it. nullopt when none was (p came from a jump): step then.
  std::optional<Position> before_by_candidates(const Position& p, const Position& prev,
                                               const BreakSet& set);
  void note(Collector* c, const Outcome& o, const BreakSet& u);
  gdb::StopReason reverse_continue(const gdb::ResumeRequest& req);
  gdb::StopReason reverse_step();
  gdb::StopReason hit_reason(const Outcome& o, const BreakSet& set);
  gdb::StopReason exited_reason();
  std::vector<DebugSlot> slots_for(const BreakSet& set);
  void load_exec_info();
  bool interrupted() const;
  // After an Interrupted outcome: back to pos_, the last position the run went through.
  void recover_from_interrupt();

  ReplayOptions base_;
  std::unique_ptr<ReplaySession> s_;
  Breakpoints bps_;
  DebugRegisters drs_;
  uint64_t exec_seen_ = 0;
  Position pos_;
  uint64_t start_event_ = 0;  // the first exec: the earliest position gdb can see
  uint64_t furthest_ = 0;     // the latest event replayed so far (its output was shown)
  BreakSet user_;             // gdb's breakpoints and watchpoints
  bool exited_ = false;
  bool reported_signal_ = false;  // the pending signal's stop went to gdb already
  int exit_status_ = 0;
  int recorded_pid_ = 0;
  std::vector<uint8_t> auxv_;
  std::string exe_;
  const std::atomic<bool>* interrupt_flag_ = nullptr;
  bool ignore_interrupt_ = false;     // while recovering from one
  std::atomic<bool> running_{false};  // in a blocking wait for the process (interrupt() wakes it)
  pthread_t tracer_thread_{};
  std::map<uint64_t, MemSnapshot> snaps_;  // by event
  uint64_t last_snap_ns_ = 0;
  bool snapshots_ = true;  // off when a copy failed once (e.g. no scratch page yet)
};

}  // namespace ckrr
