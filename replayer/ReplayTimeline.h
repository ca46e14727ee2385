#pragma once
// Going backward and forward in a replay, independent of any debugger protocol (rr calls this a
// replay timeline): positions (ReplayPosition.h), seeking to an event, stepping and continuing
// in both directions with breakpoints and watchpoints. Forward: the process runs between events
// with the breakpoints' int3s and debug registers armed; a stop that is ours is reported, one
// that is the next event goes to the session and the run goes on. Backward: replay again from
// the nearest snapshot or checkpoint (or the start) to the current position, noting every
// breakpoint/watchpoint stop, then go to the last one. The gdb stub adapts it
// (ReplayDebugTarget); the GUI or another front end can drive it directly.
#include <pthread.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "checkpoint/ProcessSnapshot.h"
#include "replayer/Breakpoints.h"
#include "replayer/DebugRegisters.h"
#include "replayer/ReplayPosition.h"
#include "replayer/ReplaySession.h"
#include "replayer/ThreadNames.h"

namespace ckrr {

// Why a move along the timeline stopped.
struct TimelineStop {
  enum class Kind {
    Signal,        // a recorded signal is about to be delivered to `thread`
    SwBreakpoint,  // a breakpoint; the thread's pc is its address
    Watchpoint,    // `watch` fired (after the accessing instruction, or before it going back)
    Step,          // the requested single step finished
    Interrupted,   // interrupt_flag was set
    Exited,        // the process exited with exit_code
    Killed,        // the process was killed by `signal`
    ReplayBegin,   // going backward reached the start of the program
    ReplayEnd,     // going forward reached the end of the recording
  };
  Kind kind = Kind::Signal;
  pid_t thread = 0;  // recorded tid of the thread that stopped
  int signal = SIGTRAP;
  int exit_code = 0;
  HwWatch watch;  // Watchpoint: which one

  static TimelineStop with(Kind k, pid_t t, int sig = SIGTRAP) {
    TimelineStop r;
    r.kind = k;
    r.thread = t;
    r.signal = sig;
    return r;
  }
  static TimelineStop interrupted(pid_t t) { return with(Kind::Interrupted, t, SIGINT); }
  static TimelineStop watchpoint(pid_t t, const HwWatch& w) {
    TimelineStop r = with(Kind::Watchpoint, t);
    r.watch = w;
    return r;
  }
  static TimelineStop exited(int code) {
    TimelineStop r = with(Kind::Exited, 0, 0);
    r.exit_code = code;
    return r;
  }
};

struct TimelineThread {
  pid_t tid = 0;  // recorded
  std::string name;
};

class ReplayTimeline {
 public:
  // Replays to `base.to` (or to the program's first instruction after its exec). `follow`: the
  // recorded pid of the process to follow (0: the first); the others replay alongside.
  explicit ReplayTimeline(ReplayOptions base, pid_t follow = 0);
  ~ReplayTimeline();

  // Recorded pid of the process followed.
  int pid() const { return recorded_pid_; }
  std::vector<TimelineThread> threads();
  // The thread of the latest stop.
  pid_t current_thread() { return cur_thread_; }
  // A thread's task (registers, memory), nullptr for an unknown thread or after the exit.
  Task* task(pid_t tid);
  // Memory of the process, without the breakpoints' int3s; returns the readable prefix.
  size_t read_memory(uint64_t addr, void* out, size_t len);
  const std::vector<uint8_t>& auxv() const { return auxv_; }
  const std::string& exec_file() const { return exe_; }
  bool exited() const { return exited_; }

  // Breakpoints and watchpoints every move obeys. False: not there (unreadable address, more
  // watches than the 4 debug registers hold, unknown watch).
  bool add_breakpoint(uint64_t addr);
  void remove_breakpoint(uint64_t addr);
  bool add_watch(const HwWatch& w);
  bool remove_watch(uint64_t addr, size_t len);

  // Moves. While `flag` (set_interrupt_flag) is set, a move stops where it can (Interrupted).
  TimelineStop step_forward(pid_t tid);
  TimelineStop continue_forward();
  TimelineStop step_backward(pid_t tid);
  TimelineStop continue_backward();
  // Goes to right after event n; false (and stays at the last position reached) if interrupted.
  bool seek(uint64_t n);
  void set_interrupt_flag(const std::atomic<bool>* flag) { interrupt_flag_ = flag; }
  // From another thread while a move runs: cuts its wait for the process short.
  void interrupt();

  const Position& position() const { return pos_; }
  uint64_t start_event() const { return start_event_; }
  uint64_t total_events() { return s_->total_events(); }
  TimelineIndex* index() { return s_ ? s_->index() : nullptr; }
  // Events where an in-memory copy of the process is kept.
  std::vector<uint64_t> snapshot_events() const;
  // Keeps an in-memory copy here (at an event boundary); false when it cannot.
  bool snapshot_here();
  void kill();

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
    TimelineStop reason;
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
  // by value: p is often pos_, which moves. The previous instruction of thread `tid`.
  std::optional<Position> before(Position p, pid_t tid);
  // before() for a continue stop p (prev: p less that stop), without single-stepping the whole
  // way from prev: instruction breakpoints on the likely previous instructions (the call that
  // entered a function at p, the 15 addresses before p's pc), a few at a time; the one whose
  // next step reaches p is it. nullopt when none was (p came from a jump): step then.
  std::optional<Position> before_by_candidates(const Position& p, const Position& prev,
                                               const BreakSet& set);
  void note(Collector* c, const Outcome& o, const BreakSet& u);
  TimelineStop reverse_continue();
  TimelineStop reverse_step(pid_t tid);
  TimelineStop forward(bool step, pid_t tid);
  TimelineStop backward(bool step, pid_t tid);
  // Notes the stop's thread as the current one (and names one when it has none).
  TimelineStop reported(TimelineStop r);
  // At an event boundary: plays the events that need no app code run by us (ReplaySession::
  // prepare_next), so that the session's current thread is the next to run. An Outcome when
  // it played one or reached the end; nullopt when the current thread is to be run.
  std::optional<Outcome> settle();
  bool settled_on(pid_t tid);
  bool runner_is_followed();
  // The thread that runs from the current position on (nullptr at the end).
  Task* runner_task();
  // The thread that runs the stretch after `event` (0: unknown).
  pid_t runner_after(uint64_t event);
  // The latest event at or before n that `tid` ran to (not the end of a call it waited in).
  uint64_t last_run_event(pid_t tid, uint64_t n);
  pid_t thread_at(uint64_t event);
  Task* any_task();
  // The current event taken by the session: the position moves to it.
  Outcome took_event();
  // Whether a debug register fired (DR6), without clearing it.
  bool point_fired(Task& t);
  TimelineStop hit_reason(const Outcome& o, const BreakSet& set);
  TimelineStop exited_reason();
  std::vector<DebugSlot> slots_for(const BreakSet& set);
  void load_exec_info();
  bool interrupted() const;
  // After an Interrupted outcome: back to pos_, the last position the run went through.
  void recover_from_interrupt();

  ReplayOptions base_;
  std::unique_ptr<ReplaySession> s_;
  Breakpoints bps_;
  DebugRegisters drs_;
  Position pos_;
  uint64_t start_event_ = 0;  // the first exec: the earliest position gdb can see
  uint64_t furthest_ = 0;     // the latest event replayed so far (its output was shown)
  BreakSet user_;             // the breakpoints and watchpoints set by the front end
  bool exited_ = false;
  bool reported_signal_ = false;  // the pending signal's stop went to gdb already
  int exit_status_ = 0;
  int recorded_pid_ = 0;
  pid_t follow_ = 0;
  uint64_t follow_start_ = 0;  // its exec's event (or the one before its first)
  pid_t cur_thread_ = 0;       // of the latest stop
  // Arrivals at the address of the preemption point that ends the current stretch.
  uint64_t point_event_ = UINT64_MAX;  // the stretch's event they count from
  uint64_t point_hits_ = 0;
  int point_watch_ = -1;  // index in the run's BreakSet::hw of its instruction breakpoint
  std::unique_ptr<ThreadNames> names_;
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
