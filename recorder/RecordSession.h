#pragma once
// ckrr record: runs the program under ptrace + seccomp, turns every nondeterministic input into
// an event (dispatching each trapped syscall to the plugin that owns it), and writes the trace.
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "checkpoint/CheckpointWriter.h"
#include "core/ExecutionPoint.h"
#include "core/Task.h"
#include "core/TaskGone.h"
#include "core/Watchdog.h"
#include "plugins/AppTraces.h"
#include "plugins/PluginRegistry.h"
#include "plugins/ProcessState.h"
#include "plugins/SyscallContext.h"
#include "recorder/CheckpointPublishing.h"
#include "recorder/AgentRecording.h"
#include "recorder/RecordedTask.h"
#include "recorder/TickTimer.h"
#include "recorder/VirtualIds.h"
#include "recorder/WriteOrder.h"
#include "storage/EventLogWriter.h"
#include "storage/FileStore.h"
#include "storage/LaunchInfo.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

struct RecordOptions {
  std::vector<std::string> argv;    // program and its arguments
  std::filesystem::path trace_dir;  // empty: a fresh directory under ./ckrr-traces/
  bool force = false;
  bool quiet = false;
  bool agent = true;  // load libckrr_agent.so (--no-agent, CKRR_AGENT=0: off)
  // `ckrr restart --record`: record the process rebuilt from a checkpoint of this trace
  // (argv is then unused) instead of starting a program.
  std::optional<std::filesystem::path> restart_from;
  std::optional<uint32_t> restart_checkpoint;
  // Periodic checkpoints, in nanoseconds of recording time; 0 = none (SIGUSR2 still works).
  uint64_t checkpoint_interval_ns = 1000000000ull;
  // Periodic checkpoints are spaced so that they cost at most this share of the run (what the
  // app was held plus the publish), unless the interval was given explicitly (0: no limit).
  double checkpoint_share = 0.05;
  // Threads: a runner that others wait for is checked for a spin loop this often, and
  // preempted wherever it is after max_slice_ns.
  uint64_t spin_check_ns = 1000000ull;
  uint64_t max_slice_ns = 10000000000ull;
  uint64_t max_slice_timeout_ns = 30000000000ull;  // when the waiting threads only timed out
};

class RecordSession : public SessionServices {
 public:
  explicit RecordSession(RecordOptions opt);
  ~RecordSession() override;
  // Records until the program ends. Returns the exit code for ckrr: the program's status
  // (128+N when killed by signal N), 127 if it cannot be found, 125 on a ckrr failure.
  int run();

  // SessionServices
  bool replaying() const override { return false; }
  FileStore* file_store() override { return store_.get(); }
  void note_mapped_file(const std::string& path, const std::string& stored, uint64_t size) override;
  std::string stored_file_path(const std::string& stored) override;
  void echo(int, const void*, size_t) override {}
  void finish_skipped(Task&) override;
  void note_conservative(const std::string& what) override;
  void note_not_emulated(const std::string& what) override;
  bool recorded_thread(pid_t rec_tid, ThreadView& out) override;
  AppTraces* app_traces() override { return &app_traces_; }
  static std::string counts_text(const std::map<std::string, uint64_t>& counts);

 private:
  struct ProcessCapture {  // one process of a checkpoint of several
    RecordedTask* capturer = nullptr;
    CheckpointRequest req;
    // The capturer's call completed but its event is still to come: it is saved (put
    // meanwhile) in its state at the call's entry, rewound, as a thread waiting in the call.
    bool as_entered = false;
  };
  struct ProcessRecord {  // for `ckrr info` and the GUI: one per recorded process
    pid_t ppid = 0;
    std::string exe;
    int status = -1;
  };
  struct ThreadRecord {
    pid_t pid = 0;
    std::string name;
    uint64_t first_seq = 0, last_seq = 0;
  };

  void start();
  void start_restarted(LaunchInfo& li);
  RecordedTask& add_task(pid_t real_tid, pid_t tgid, pid_t rec_tid,
                         std::shared_ptr<ProcessState> proc, const std::string& name);
  // What a restarted process must see as the result of nr instead of the kernel's.
  std::optional<int64_t> virtual_result(const RecordedTask& rt, long nr) const;
  void loop();
  void dispatch(RecordedTask& rt, const TaskStop& s);
  // A task died under ckrr's hands (TaskGone): its death comes through waitpid like any exit.
  void on_vanished(const TaskGone& gone);
  void schedule();
  // The program's own tracing (AppTraces): a thread held for its tracer (at a syscall's entry
  // when at_entry, else after an event) or parked in a tracer's wait does not run until
  // wake_app_traced puts it back in the ready queue.
  void hold_for_app_tracer(RecordedTask& rt, bool at_entry);
  bool wake_app_traced();  // true when some thread went back to the ready queue
  // At a call's exit stop, before its event (rt.completed): true when held for the tracer.
  bool held_at_exit_for_app_tracer(RecordedTask& rt);
  // No other thread in its process: it may be held anywhere before its event (replay runs the
  // process's only thread to its next event whatever others do meanwhile).
  bool alone_in_process(const RecordedTask& rt) const;
  void on_tick();
  void on_syscall(RecordedTask& rt);
  void on_syscall_exit(RecordedTask& rt);
  void complete_call(RecordedTask& rt);
  void on_new_task_event(RecordedTask& parent);
  // Before the threads of process tgid other than `except` end together (exit_group, a fatal
  // signal, exec): the calls they entered that are over get their events now, and a write still
  // in the kernel is stopped so that what it wrote is recorded before the end.
  void settle_entered_calls(pid_t tgid, const RecordedTask* except);
  // The process a kill/tgkill/tkill of SIGKILL at entry ends (which settle_entered_calls first).
  std::optional<pid_t> sigkill_target(long nr, const uint64_t* args) const;
  // Stops writes that others have been parked behind for long while nothing else can run.
  void stop_stale_write_holders();
  // Threads parked by writes_ whose object is free again go back to the ready queue.
  void release_parked_writers();
  void on_exec(RecordedTask& exec_rt, Event& ev);
  // After a successful exec in a process with several threads: collects the threads the
  // kernel ended (`others`, some `reaped` already) and files the calling thread under the
  // process's pid. Returns it.
  RecordedTask& end_other_threads(pid_t exec_tid, const std::vector<pid_t>& others,
                                  const std::set<pid_t>& reaped);
  // After a successful sigaltstack(ss, ...) of this thread: its new alternate stack.
  void note_altstack(RecordedTask& rt, uint64_t ss_addr);
  void on_signal(RecordedTask& rt, int sig);
  void on_interrupted(RecordedTask& rt);
  // Job control (JobStops.h): a thread entered a group stop / the stop of some ended.
  void on_group_stop(RecordedTask& rt);
  void resume_job_stopped();
  // Spin loop check at a stop in app code: the thread runs on to the same rip; true when it
  // comes back with the same registers and stack (it waits for another thread). *slot: the
  // counted address it came back to (-1: not counted).
  enum class Probe { Spin, NotSpin, OtherStop };
  Probe probe_spin(RecordedTask& rt, const ExecutionPoint& p, TaskStop* other, int* slot);
  // Single-steps one instruction (a counted address there is counted, as replay meets it too).
  bool step_off(RecordedTask& rt, TaskStop* other);
  // Lets the thread run with DR3 at temporary (0: none) until it fires, or a counted address
  // is hit when at_counted (Hit; *slot: the counted slot hit, -1 none), another stop comes
  // (Other, in *other), or within_ns passes and it is stopped wherever it is (Interrupted).
  // Counted addresses hit meanwhile are counted.
  enum class BreakpointWait { Hit, Other, Interrupted };
  BreakpointWait run_to_breakpoint(RecordedTask& rt, uint64_t temporary, bool at_counted,
                                   uint64_t within_ns, TaskStop* other, int* slot);
  // Runs the thread on to the next return site on its stack: Found (out set, *slot as above),
  // Other (a stop to dispatch; other set), or NotFound (stopped elsewhere).
  Probe seek_return_site(RecordedTask& rt, ExecutionPoint* out, TaskStop* other, int* slot);
  // The point to record for a thread stopped in app code: the next counted hit or syscall
  // (within a few ms), else a nearby return site found by registers (and its return sites are
  // counted from then on). False: another stop came first and was dispatched.
  // spin: a spin loop's point (the probe's): after the wait, found again by the probe, not by
  // a return site (no point when it no longer spins: false then too). forced: a switch for
  // fairness only, which may wait for a counted hit or syscall up to max slice + 1 s.
  bool place_point(RecordedTask& rt, ExecutionPoint* out, PointKind* kind, uint64_t* count,
                   const ExecutionPoint* spin = nullptr, bool forced = false);
  // A SIGTRAP of the runner: true when it was a counted hit (handled: counted, and the point
  // taken when one is wanted there).
  bool on_counted_trap(RecordedTask& rt);
  // Whether the runner's slice has lasted long enough to preempt it wherever it is.
  bool slice_over(const RecordedTask& rt, uint64_t now) const;
  void emit_preempt(RecordedTask& rt, const ExecutionPoint& p, int why, PointKind kind,
                    uint64_t count);
  void count_point(PointKind kind, bool signal);
  void switch_away(RecordedTask& rt);
  void on_gone(RecordedTask& rt, int raw_status);
  // The process of rt is dying (exit_group, fatal signal): collect all its threads.
  void reap_process(pid_t tgid);
  void emit(Event& ev);
  void emit_for(RecordedTask& rt, Event& ev);
  // Lets the runner go on after its event (checkpoint first when one is due and possible).
  void resume_runner(RecordedTask& rt, const Event* after);
  // A checkpoint due now must wait for the ones being published (CheckpointPublishing).
  bool periodic_checkpoint_due() const;
  bool one_process() const;       // all tasks are threads of one process
  uint64_t slow_tick_ns() const;  // the tick while one thread may wait in a call
  bool checkpoint_must_wait(RecordedTask& rt, const std::vector<ProcessCapture>& processes);
  void take_checkpoint(RecordedTask& rt, uint64_t seq, bool before_next_syscall,
                       CheckpointRequest others = {}, std::vector<ProcessCapture> processes = {});
  // Whether every other thread is where a checkpoint can describe it (one process only);
  // fills their saved state and the schedule blob replay needs.
  // capturer_call: the call the capturing thread is saved about to make (-1: none).
  bool other_threads_checkpointable(RecordedTask& rt, CheckpointRequest& req,
                                    int64_t capturer_call);
  // The other processes: for each, a stopped thread to capture it from (a thread waiting in a
  // call is stopped and rewound to make it again) and its request. False: not now.
  bool other_processes_checkpointable(RecordedTask& rt, std::vector<ProcessCapture>& out);
  // Stops a thread waiting in an entered call and rewinds it to the call's instruction.
  // Captures the process of o, whose call completed before its event, with o saved in its
  // state at the call's entry (ProcessCapture::as_entered).
  void capture_as_entered(RecordedTask& o, const CheckpointRequest& req);
  // Holds an asynchronous signal back until the thread's next syscall (or a located point).
  void hold_back(RecordedTask& rt, const siginfo_t& si);
  // Lets a thread stopped in or at the end of a call go on to our pending SIGSTOP (delivered
  // before any app code); other signals met first are held back (deferred). False when some
  // other stop came (left for the main loop, the SIGSTOP still on its way).
  bool take_our_sigstop(RecordedTask& o);
  bool stop_waiting_thread(RecordedTask& o);
  void fill_request(RecordedTask& capturer, uint64_t seq, CheckpointRequest& req);
  bool deliver_deferred(RecordedTask& rt);
  uint64_t now_ns() const;
  void stop_app(const std::string& why);
  // Signals sent to ckrr itself (RecorderSignals): the program's own kill(0, sig) is ignored,
  // SIGUSR2 asks for a checkpoint, the others end the recording.
  void on_signals_to_recorder();
  // Ends the recording without failing it: the program is killed (its deaths are recorded as
  // any SIGKILL's) and the trace stays complete, with `why` in its meta `ended_by`.
  void end_recording(const std::string& why);
  void end_on_signal(int sig, pid_t sender);
  bool is_recorded_process(pid_t pid) const;
  void start_watchdog();
  // The watchdog saw the leftovers of an ended program all wait: end the recording.
  void end_stalled_orphans();
  // The main program ended 10 s ago and what it left behind still runs: end the recording.
  void end_busy_leftovers();
  // "the N process(es) it left behind (pid ...)": what an ended program left running.
  std::string leftovers_text() const;
  void finish();
  RecordedTask* main_task();
  bool fatal_by_default(pid_t tgid, int sig) const;

  RecordOptions opt_;
  PluginRegistry registry_;
  AgentRecording agent_{false};
  std::unique_ptr<TraceDirectory> trace_;
  std::unique_ptr<TimelineIndex> index_;
  std::unique_ptr<EventLogWriter> log_;
  std::unique_ptr<FileStore> store_;
  std::map<pid_t, RecordedTask> tasks_;  // by real tid
  std::map<pid_t, int> early_stops_;     // new threads that stopped before their parent's event
  std::deque<std::pair<pid_t, int>> pending_stops_;  // collected while waiting for one task
  std::deque<pid_t> ready_;
  std::set<pid_t> job_stopped_;  // threads in a group stop
  pid_t runner_ = 0;
  pid_t main_tid_ = 0;
  std::map<pid_t, ProcessRecord> processes_;  // by recorded pid
  std::map<pid_t, ThreadRecord> threads_;     // by recorded tid
  TickTimer tick_;
  std::string program_;
  uint64_t start_ns_ = 0;  // monotonic_ns() when the program started
  uint64_t next_seq_ = 1;
  bool done_ = false;
  int exit_code_ = 0;
  std::string failure_;   // why the recording stopped early
  std::string ended_by_;  // why ckrr ended a complete recording itself (end_recording)
  int ended_by_signal_ = 0;
  uint64_t sigint_deadline_ns_ = 0;  // a SIGINT from outside: the program's chance to end first
  pid_t sigint_sender_ = 0;
  uint64_t end_deadline_ns_ = 0;  // tasks not dead by then are left behind (unkillable sleep)
  // Calls recorded conservatively (their memory effects guessed), by description, for `ckrr info`.
  std::map<std::string, uint64_t> conservative_;
  std::map<std::string, uint64_t> not_emulated_;  // requests answered as unsupported
  // The main program has ended: what is left (daemons, orphans) is recorded while it makes
  // progress, and killed once it has all waited kOrphanQuietNs with nothing happening.
  std::atomic<bool> main_ended_{false};
  uint64_t main_ended_ns_ = 0;  // when the main program ended (0: not yet)
  std::atomic<bool> orphans_stalled_{false};
  pid_t supervisor_tid_ = 0;
  std::unique_ptr<Watchdog> watchdog_;
  uint64_t deferred_count_ = 0;
  uint64_t preempt_spin_ = 0, preempt_forced_ = 0, located_signals_ = 0;
  uint64_t preempt_at_syscall_ = 0, preempt_counted_ = 0, preempt_registers_ = 0;
  uint64_t located_counted_ = 0;
  CountedBreakpoints counted_;
  uint64_t skipped_checkpoints_ = 0;
  WriteOrder writes_;
  // Writers stopped by settle_entered_calls before a SIGKILL: they go on if it fails.
  std::vector<pid_t> stopped_for_end_;
  uint64_t stopped_write_holders_ = 0;
  AppTraces app_traces_;
  VirtualIds ids_;  // equal virtual and real pids unless restarted
  pid_t virtual_ppid_ = 0;
  std::unique_ptr<CheckpointWriter> checkpoints_;
  std::unique_ptr<CheckpointPublishing> publishing_;  // after checkpoints_: destroyed first
  uint64_t next_checkpoint_ns_ = 0;
  bool single_after_group_ = false;  // the last checkpoint held several processes
};

}  // namespace ckrr
