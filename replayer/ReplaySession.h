#pragma once
// ckrr replay: starts the recorded program again and feeds it the recorded events, so that it
// runs exactly as recorded; stops at a chosen event. Any mismatch is a Divergence.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "checkpoint/CheckpointManifest.h"
#include "checkpoint/CheckpointRestorer.h"
#include "core/MemoryMap.h"
#include "core/Task.h"
#include "core/Watchdog.h"
#include "plugins/AgentChannel.h"
#include "plugins/PluginRegistry.h"
#include "plugins/ProcessState.h"
#include "plugins/SyscallContext.h"
#include "replayer/StatePrinter.h"
#include "storage/EventLogReader.h"
#include "storage/LaunchInfo.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

struct ReplayOptions {
  std::filesystem::path trace_dir;
  std::optional<uint64_t> to;  // stop after this event
  bool print_state = false;
  std::filesystem::path state_out;  // where --print-state writes (empty: stdout)
  bool progress = false;            // "ckrr-progress: N/TOTAL" lines on stderr
  // Where to start. Default: the latest checkpoint at or before `to` (from the start when
  // there is no `to` or no such checkpoint).
  std::optional<int64_t> from_checkpoint;
  bool from_start = false;
  // Debugger mode (ReplayTimeline): never kill at `to` (it only picks the checkpoint), and
  // after each event leave the task stopped for the caller to resume (see hold()).
  bool hold_events = false;
  // Echo none of the program's output for events up to this one (the debugger replays a stretch
  // again to go back; the user saw that output already).
  uint64_t quiet_through = 0;
};

class ReplaySession : public SessionServices {
 public:
  explicit ReplaySession(ReplayOptions opt);
  ~ReplaySession() override;
  // Replays. Returns the recorded exit code of the program (128+N for signal N) when it ran to
  // the end, 0 when it stopped at --to, and throws Divergence / TraceError / Error otherwise.
  int run();

  // Step-by-step driving, for the debugger (hold_events). begin() launches or restores; then the
  // caller resumes the task itself (cont or single-step, with pending_signal()) and hands every
  // stop that is not its own (seccomp stops, signals, exit) to handle_stop(), which consumes the
  // next event and leaves the task stopped again. The scratch-page injections happen inside
  // handle_stop(), so the caller's breakpoints are never met there.
  void begin() { start(); }
  // With several threads, before each resume at an event boundary: makes the thread of the next
  // event current (task()) and returns true when the caller must run it to its next stop; plays
  // at once, and returns false, an event that needs no run of app code by the caller (the end of
  // a call that waited, a process's end, a preemption point), or at the end of the log.
  bool prepare_next();
  // With caller_runs_points, prepare_next() returns true for a preemption point too: the caller
  // runs the thread, counting its arrivals at point_rip() (an instruction breakpoint), and asks
  // reached_point(arrivals) at each (and with 0 before it runs), which takes the event when it
  // is the recorded one; or it has the session run it unwatched (play_point()).
  void set_caller_runs_points(bool on) { caller_runs_points_ = on; }
  std::optional<uint64_t> point_rip();
  bool reached_point(uint64_t hits);
  void play_point() { reach_point(*cur_); }
  // Recorded tids of a process's live threads (recorded pid); the task of one.
  std::vector<pid_t> thread_ids(pid_t rec_pid) const;
  Task* task_of_thread(pid_t rec_tid);
  bool has_current() const { return cur_ != nullptr; }
  pid_t current_tid() const { return cur_ ? cur_->rec_tid : 0; }
  pid_t current_pid() const { return cur_ ? cur_->proc->recorded_pid : 0; }
  // Returns the program's exit status when the stop was its end (the Exit event consumed).
  std::optional<int> handle_stop(const TaskStop& s);
  // The signal to deliver when resuming the held task (a recorded signal being delivered).
  int pending_signal() const { return cur_ ? cur_->pending_sig : 0; }
  // True while the task sits where handle_stop()/begin() left it (not yet resumed by the caller).
  bool held() const { return cur_ && cur_->held; }
  void release() {
    if (cur_) cur_->held = false;
  }
  uint64_t last_event() const { return last_seq_; }
  uint64_t total_events() const { return total_events_; }
  // The next recorded event, or nullptr at the end of the log.
  const Event* next_event();
  Task& task() { return *cur_->task; }
  bool gone() const { return done_; }
  // Bumped at every exec: the address space (and any breakpoint written into it) is new.
  uint64_t exec_count() const { return exec_count_; }
  TimelineIndex* index() { return index_.get(); }
  const LaunchInfo& launch() const { return launch_; }
  Mapping symbol_file(const Mapping& m) { return symbol_file_for(m); }

  // In-memory snapshots (the debugger forks the held process; see ReplayTimeline): what of
  // the session goes with the process copy.
  struct SavedState {
    uint64_t seq = 0;
    uint64_t exec_count = 0;
    std::vector<uint8_t> process;
    std::vector<std::vector<uint8_t>> plugins;  // in registry order
  };
  // Whether the held process can be copied now: at an event, no signal on its way, an index to
  // find the next event again.
  bool can_save() const {
    return held() && !pending_signal() && !injecting_ && !done_ && index_ && tasks_.size() == 1;
  }
  SavedState save_state() const;
  // Goes on from a copy of the process taken when `s` was saved; the current one is killed.
  void adopt(std::unique_ptr<Task> t, const SavedState& s);
  void set_quiet_through(uint64_t seq) { opt_.quiet_through = seq; }

  // SessionServices
  bool replaying() const override { return true; }
  FileStore* file_store() override { return nullptr; }
  void note_mapped_file(const std::string&, const std::string&, uint64_t) override {}
  std::string stored_file_path(const std::string& stored) override;
  void echo(int std_stream, const void* data, size_t len) override;
  void finish_skipped(Task& t) override;

 private:
  // One replayed thread, found by its recorded tid.
  struct ReplayTask {
    std::unique_ptr<Task> task;
    std::shared_ptr<ProcessState> proc;
    pid_t rec_tid = 0;
    bool held = false;    // stopped where its last event left it, to be resumed for its next
    int pending_sig = 0;  // signal to deliver when resumed
    bool started = true;  // false: created by clone, its first stop not yet collected
    uint64_t child_tid_fixup = 0;     // CLONE_CHILD_SETTID: where the kernel wrote the real tid
    std::optional<Event> entered;     // its `enter` event: parked at the syscall, or in it
    bool call_running = false;        // the entered call runs in the kernel (vfork...)
    bool needs_entry = false;         // restored before its entered call: run it there first
    bool pending_async = false;       // pending_sig is an asynchronous one (see SignalFrame.h)
    uint64_t pending_rip = 0;         // where it interrupts the thread
    std::optional<TaskStop> stashed;  // a stop that came while delivering it
    bool exiting = false;
    bool step = false;  // resumed for one instruction (its tracer single-stepped it)
  };

  void start();
  void launch_from_start();
  // A thread of an ending process is still in a write to ckrr's stdout/stderr that has no end
  // in the recording: says so (what it printed is unknown).
  void warn_unfinished_write(const ReplayTask& m);
  // Rebuilds the process from checkpoint id; false (with a warning) when it is unusable.
  bool restore_checkpoint(int64_t id);
  ReplayTask& adopt_restored(RestoredProcess& p, int64_t id);
  ReplayTask& add_task(pid_t rec_tid, std::unique_ptr<Task> t, std::shared_ptr<ProcessState> p);
  ReplayTask& task_of(const Event& ev);
  Mapping symbol_file_for(const Mapping& m);
  // Next recorded event; throws Divergence when the log has ended.
  Event& peek(const char* what_app_did);
  // The same, or nullptr at the end of a complete recording.
  Event* peek_or_end();
  Event take(const char* what_app_did);
  void on_syscall(Task& t);
  // Checks the call at a seccomp stop against the recorded event (number, arguments, place).
  void check_call(Task& t, const Event& ev, const Registers& regs);
  // Plays a syscall event on a task stopped at its seccomp stop (or in it: call_running).
  void apply_call(Task& t, Event& ev, const Registers& regs);
  void start_clone(Task& t, const Event& ev);
  void finish_clone(Task& t, const Event& ev);
  void on_enter(ReplayTask& rt);
  // At the seccomp stop of a call whose event is an `enter`: takes it, parks or starts it.
  void enter_call(ReplayTask& rt);
  void complete_entered(ReplayTask& rt);
  void reach_point(ReplayTask& rt);
  // A Preempt event of PointKind::Counted: the same hit count of its rip, then the same state.
  void reach_counted_point(ReplayTask& rt, const Registers& want, uint64_t digest);
  void finish_process(ReplayTask& rt);
  void ensure_started(ReplayTask& rt);
  void resume_held(ReplayTask& rt);
  // The thread's next stop (one that came while resume_held delivered a signal first).
  TaskStop wait_task(ReplayTask& rt);
  void on_exec(Task& t, Event& ev);
  // After an exec in a process with several threads (core/ThreadedExec.h): as when recording.
  void end_other_threads(const std::vector<pid_t>& others_rec, const std::vector<pid_t>& others,
                         const std::set<pid_t>& reaped);
  void on_signal(Task& t, int sig);
  std::optional<int> on_gone(int raw_status);
  void after_event(Task& t, const Event& ev);
  // What a recorded tracer did to its held tracee at this event (TraceeEffects.h), redone.
  void apply_tracee_effects(const Event& ev);
  // Raises the next event now if it is an asynchronous signal for the current thread.
  void inject_pending_signal();
  void inject_signal(ReplayTask& rt, const Event& ev);
  void write_memory(Task& t, const Event& ev);
  void stop_here(Task& t, const Event& ev);
  // Memory the waiting calls of these recorded threads write when they return (after `seq`).
  DeadRanges buffers_of_waiting_calls(uint64_t seq, std::set<int32_t> waiting);
  void kill_all();
  // Every place that lets the app run on after an event goes through here (hold_events).
  void resume_app(Task& t, int sig = 0);
  std::vector<std::pair<std::string, std::string>> changed_executables();

  ReplayOptions opt_;
  PluginRegistry registry_;
  AgentChannel agent_{AgentChannel::Mode::Replay};
  // The buffered events that come next (one thread's), written into its agent slot.
  void fill_agent(ReplayTask& rt);
  // At a stop of the current thread: every buffered event given to it must have been taken.
  void check_agent_taken(const TaskStop* s);  // null: at a preemption point
  std::optional<Event> agent_to_;  // `--to` named this buffered event: stop at the next stop
  std::unique_ptr<TraceDirectory> trace_;
  std::unique_ptr<EventLogReader> reader_;
  LaunchInfo launch_;
  std::map<pid_t, ReplayTask> tasks_;  // by recorded tid
  // Threads that ended (exit) while their process lives on, by recorded tid.
  std::map<pid_t, std::shared_ptr<ProcessState>> ended_threads_;
  ReplayTask* cur_ = nullptr;       // the thread whose stop is being handled
  pid_t main_rec_ = 0;              // recorded pid of the first process
  std::optional<int> main_status_;  // its exit code once its exit event is replayed
  std::optional<Event> lookahead_;
  uint64_t total_events_ = 0;
  bool complete_ = false;         // the recorder finished (index meta)
  std::string stopped_because_;   // why a recording stopped early
  Watchdog* watchdog_ = nullptr;  // run()'s, while it runs
  std::string ended_by_;          // why the recorder ended a complete recording (SIGTERM...)
  uint64_t last_seq_ = 0;
  bool stopped_ = false;
  bool done_ = false;
  std::optional<siginfo_t> injecting_;  // an async signal replay raised, awaiting its stop
  uint64_t last_progress_ns_ = 0;
  std::unique_ptr<TimelineIndex> index_;
  std::set<std::string> verified_files_;          // stored files checked against their hash
  std::map<pid_t, CheckpointManifest> restored_;  // by real pid, when started from a checkpoint
  std::map<std::string, std::string> stored_of_path_;  // recorded path -> saved copy
  uint64_t exec_count_ = 0;
  bool trace_events_ = false;
  bool caller_runs_points_ = false;
};

}  // namespace ckrr
