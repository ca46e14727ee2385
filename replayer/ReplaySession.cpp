#include "replayer/ReplaySession.h"

#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "checkpoint/CheckpointRestorer.h"
#include "core/CloneCall.h"
#include "core/Error.h"
#include "core/ExecBreakpoint.h"
#include "core/ExecSetup.h"
#include "core/ExecutionPoint.h"
#include "core/FileIdentity.h"
#include "core/OwnTscTrap.h"
#include "core/ProcessLauncher.h"
#include "core/RobustList.h"
#include "core/ScratchPage.h"
#include "core/SeccompFilter.h"
#include "core/Sha256.h"
#include "core/SignalFrame.h"
#include "core/SyscallNames.h"
#include "core/SyscallRegisters.h"
#include "core/ThreadedExec.h"
#include "decoder/EventDecoder.h"
#include "plugins/BlockingSyscalls.h"
#include "plugins/SignalClass.h"
#include "plugins/SyscallEffects.h"
#include "plugins/TraceeEffects.h"
#include "plugins/TscSites.h"
#include "plugins/WriteCalls.h"
#include "replayer/ExecDirectory.h"
#include "replayer/ExecFromFd.h"
#include "replayer/StatePrinter.h"
#include "storage/FileStore.h"
#include "storage/TimelineIndex.h"

namespace ckrr {

namespace {
// A signal stop that is not a fault at an instruction: a signal about to be delivered, or a
// group stop (no siginfo). Replay drops such stops that it did not cause.
bool foreign_signal_stop(Task& t, const TaskStop& s) {
  if (s.kind != TaskStop::Kind::Signal) return false;
  siginfo_t si{};
  if (ptrace(PTRACE_GETSIGINFO, t.tid(), nullptr, &si) != 0) return errno == EINVAL;
  return !is_synchronous_fault(s.sig, si);
}
}  // namespace

namespace {

std::string call_text(long nr, const uint64_t* a) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx)",
           syscall_display_name(nr).c_str(), (unsigned long long)a[0], (unsigned long long)a[1],
           (unsigned long long)a[2], (unsigned long long)a[3], (unsigned long long)a[4],
           (unsigned long long)a[5]);
  return buf;
}

// A plugin may have rewritten argument registers for the kernel (recorded pid -> real pid);
// the app must find them as it left them.
void restore_args(Task& t, const uint64_t* a) {
  Registers r = t.regs();
  if (same_syscall_args(r, a)) return;
  set_syscall_args(r, a);
  t.set_regs(r);
}

}  // namespace

ReplaySession::ReplaySession(ReplayOptions opt)
    : opt_(std::move(opt)), registry_(PluginRegistry::with_builtin_plugins()) {
  trace_events_ = getenv("CKRR_TRACE_REPLAY") != nullptr;  // for ckrr's own debugging
}

ReplaySession::~ReplaySession() {
  kill_all();
}

void ReplaySession::kill_all() {
  std::vector<Task*> all;
  for (auto& [rec, rt] : tasks_) all.push_back(rt.task.get());
  kill_and_collect(all);
  tasks_.clear();
  ended_threads_.clear();
  cur_ = nullptr;
}

ReplaySession::ReplayTask& ReplaySession::add_task(pid_t rec_tid, std::unique_ptr<Task> t,
                                                   std::shared_ptr<ProcessState> p) {
  ReplayTask& rt = tasks_[rec_tid];
  rt.task = std::move(t);
  rt.proc = std::move(p);
  rt.rec_tid = rec_tid;
  return rt;
}

ReplaySession::ReplayTask& ReplaySession::task_of(const Event& ev) {
  auto it = tasks_.find(ev.tid);
  if (it == tasks_.end() && ev.kind == EventKind::Exit) {
    // The process's end is filed under the thread that was its real leader when recording;
    // restored from a checkpoint another thread took, that one may have ended already here.
    auto gone = ended_threads_.find(ev.tid);
    if (gone != ended_threads_.end())
      for (auto o = tasks_.begin(); o != tasks_.end(); ++o)
        if (o->second.proc == gone->second &&
            (it == tasks_.end() || o->second.task->tid() == o->second.task->tgid()))
          it = o;
  }
  if (it == tasks_.end())
    throw Divergence(ev.seq, ev.tid, "an event of a thread the replay does not have",
                     describe_event(ev), "no thread " + std::to_string(ev.tid));
  return it->second;
}

std::string ReplaySession::stored_file_path(const std::string& stored) {
  // Absolute: the replayed process opens it, and its working directory is its own.
  std::string path = std::filesystem::absolute(trace_->dir() / stored).string();
  // Content-addressed ("files/<sha256>/<name>"): a damaged copy would replay other code or
  // symbols silently, so each is checked once per replay before it is used.
  if (verified_files_.insert(stored).second) {
    const std::string want = FileStore::hash_of(stored);
    if (want.size() == 64 && Sha256::hex_of_file(path) != want) {
      verified_files_.erase(stored);
      throw TraceError(path +
                       ": damaged (its content does not match the hash it is stored "
                       "under); 'ckrr pack' restores it when the original file is unchanged");
    }
  }
  return path;
}

void ReplaySession::echo(int std_stream, const void* data, size_t len) {
  if (last_seq_ + 1 <= opt_.quiet_through) return;  // the event being replayed is last_seq_ + 1
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(std_stream, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // our own output is gone (closed pipe): keep replaying
    p += n;
    len -= n;
  }
}

void ReplaySession::finish_skipped(Task& t) {
  Registers r = t.regs();
  r.orig_rax = static_cast<uint64_t>(-1);
  t.set_regs(r);
  t.resume_syscall();
  TaskStop s = t.wait();
  if (s.kind != TaskStop::Kind::SyscallStop)
    throw Error("replay: unexpected " + s.describe() + " while skipping a syscall");
}

std::vector<std::pair<std::string, std::string>> ReplaySession::changed_executables() {
  std::vector<std::pair<std::string, std::string>> mounts;
  std::unique_ptr<TimelineIndex> index;
  try {
    index = TimelineIndex::open(trace_->index_db(), true);
  } catch (const TraceError&) {
    return mounts;  // a crashed recorder's index: use the files as they are
  }
  for (const char* key : {"exe", "interp"}) {
    auto path = index->meta(key);
    auto stored = index->meta(std::string(key) + "_stored");
    if (!path || !stored) continue;
    // Unchanged since recording (same inode, size, times): no need to hash it.
    auto identity = index->meta(std::string(key) + "_stat");
    if (identity && *identity == file_identity(*path)) continue;
    const std::string want = FileStore::hash_of(*stored);
    if (Sha256::hex_of_file(*path) == want) continue;
    // A path missing here (a trace from another machine) is created in the replay's own mount
    // namespace (core/PathOverlay).
    mounts.emplace_back(stored_file_path(*stored), *path);
  }
  return mounts;
}

void ReplaySession::start() {
  trace_ = std::make_unique<TraceDirectory>(TraceDirectory::open(opt_.trace_dir));
  launch_ = LaunchInfo::load(trace_->dir() / "launch");
  reader_ = std::make_unique<EventLogReader>(trace_->events_log());
  try {
    index_ = TimelineIndex::open(trace_->index_db(), true);
    total_events_ = index_->event_count();
    complete_ = index_->meta("complete").value_or("0") == "1";
    stopped_because_ = index_->meta("stopped_because").value_or("");
    ended_by_ = index_->meta("ended_by").value_or("");
    for (const MappedFileRow& f : index_->mapped_files()) stored_of_path_[f.path] = f.stored;
  } catch (const TraceError&) {
    index_.reset();  // a crashed recorder's index: replay from the log alone, from the start
  }
  if (opt_.to && total_events_ && *opt_.to > total_events_)
    throw Error("event " + std::to_string(*opt_.to) + " is past the end of the recording (" +
                std::to_string(total_events_) + " events)");
  if (opt_.to && *opt_.to == 0) throw Error("events are numbered from 1");
  signal(SIGPIPE, SIG_IGN);
  if (!pin_to_cpu(launch_.cpu)) {
    std::cerr << "ckrr: warning: CPU " << launch_.cpu
              << " (where the recording ran) is not available; cpuid results may differ\n";
    launch_.cpu = pin_to_current_cpu();
  }

  // A recording made by `ckrr restart --record` has no start to launch: it begins with a
  // checkpoint.
  const bool checkpoint_only =
      index_ && index_->meta("starts_from_checkpoint").value_or("0") == "1";
  if (checkpoint_only && opt_.from_start)
    throw Error(
        "this recording starts from a checkpoint (ckrr restart --record): there is no "
        "start to replay from");
  // Candidate checkpoints, latest first.
  std::vector<CheckpointRow> candidates;
  if (index_ && !opt_.from_start) {
    for (const CheckpointRow& c : index_->checkpoints()) {
      if (opt_.from_checkpoint) {
        if (c.id != *opt_.from_checkpoint) continue;
        if (opt_.to && c.seq > *opt_.to)
          throw Error("checkpoint " + std::to_string(c.id) + " is after event " +
                      std::to_string(c.seq) + ", past --to " + std::to_string(*opt_.to));
        candidates.push_back(c);
      } else if ((opt_.to && c.seq <= *opt_.to) || (!opt_.to && checkpoint_only && c.seq == 0)) {
        candidates.push_back(c);
      }
    }
    if (opt_.from_checkpoint && candidates.empty())
      throw Error("the recording has no checkpoint " + std::to_string(*opt_.from_checkpoint) +
                  " (see 'ckrr checkpoints')");
    std::sort(candidates.begin(), candidates.end(),
              [](const CheckpointRow& a, const CheckpointRow& b) { return a.seq > b.seq; });
  }
  for (const CheckpointRow& c : candidates)
    if (restore_checkpoint(c.id)) return;
  if (checkpoint_only)
    throw Error(
        "this recording starts from a checkpoint (ckrr restart --record) and no usable "
        "checkpoint precedes the requested event");
  launch_from_start();
}

void ReplaySession::launch_from_start() {
  LaunchOptions lo;
  lo.path = launch_.path;
  lo.argv = launch_.argv;
  lo.envp = launch_.envp;
  lo.filter = build_seccomp_filter(registry_.allowed_syscalls());
  lo.stdio_to_devnull = true;
  lo.new_process_group = true;
  lo.cpu = launch_.cpu;
  lo.ignored_signals = launch_.ignored_signals;
  lo.blocked_signals = launch_.blocked_signals;
  lo.bind_mounts = changed_executables();
  lo.cwd = launch_.cwd;
  pid_t pid = launch_traced(lo);
  auto proc = std::make_shared<ProcessState>();
  proc->recorded_pid = launch_.pid;
  proc->real_pid = pid;
  proc->reset_std_fds();
  main_rec_ = launch_.pid;
  cur_ = &add_task(launch_.pid, std::make_unique<Task>(pid, pid), proc);
  resume_app(task());
}

ReplaySession::ReplayTask& ReplaySession::adopt_restored(RestoredProcess& p, int64_t id) {
  const std::vector<uint8_t>* process = p.manifest.blob("process");
  auto proc = std::make_shared<ProcessState>();
  if (!process || !proc->deserialize(*process))
    throw TraceError("checkpoint " + std::to_string(id) + ": no process state");
  proc->real_pid = p.task->tgid();
  // Several threads: the blob says which recorded tid each is and which wait in a call.
  std::vector<ThreadPlace> places = p.manifest.thread_places();
  if (places.size() != p.threads.size() + 1) places.clear();
  if (!p.threads.empty() && places.empty())
    throw TraceError("checkpoint " + std::to_string(id) + ": threads without their schedule");
  auto park = [](ReplayTask& o, int64_t nr) {
    if (nr < 0) return;  // stopped where its last event left it
    Event e;             // about to make again the call it waited in
    e.kind = EventKind::Enter;
    e.nr = static_cast<int32_t>(nr);
    e.tid = o.rec_tid;
    o.entered = e;
    o.needs_entry = true;
  };
  for (size_t i = 0; i < p.threads.size(); ++i) {
    ReplayTask& o =
        add_task(static_cast<pid_t>(places[i + 1].rec_tid), std::move(p.threads[i]), proc);
    o.held = true;
    park(o, places[i + 1].call);
  }
  pid_t first_rec = places.empty() ? proc->recorded_pid : static_cast<pid_t>(places[0].rec_tid);
  ReplayTask& first = add_task(first_rec, std::move(p.task), proc);
  first.held = true;
  if (!places.empty()) park(first, places[0].call);
  // Saved when recording: the agent's slots say Record; here nothing must run for real.
  AgentChannel::set_mode_all(*first.task, AgentChannel::Mode::Replay);
  return first;
}

bool ReplaySession::restore_checkpoint(int64_t id) {
  try {
    RestoreOptions ro;
    ro.filter = build_seccomp_filter(registry_.allowed_syscalls());
    ro.stdio_to_devnull = true;
    ro.new_process_group = true;
    ro.cpu = launch_.cpu;
    SharedMemoryPool shared;  // a group's processes share their shared mappings again
    ro.shared = &shared;
    CheckpointRestorer restorer(trace_->checkpoints_dir());
    RestoredProcess p = restorer.restore(static_cast<uint32_t>(id), ro);
    if (p.manifest.blob(kBeforeNextSyscallBlob) && opt_.to && *opt_.to == p.manifest.seq)
      throw TraceError("checkpoint " + std::to_string(id) + " lies past event " +
                       std::to_string(p.manifest.seq) + " (taken inside the next syscall)");
    for (const auto& plugin : registry_.plugins())
      if (const std::vector<uint8_t>* b = p.manifest.blob(plugin->name()))
        plugin->restore_state(*b);
    uint64_t seq = p.manifest.seq;
    if (auto row = index_->event(seq + 1)) {
      reader_->seek(row->chunk_offset, row->chunk_index);
    } else if (!reader_->seek_seq(seq + 1) && seq != total_events_) {
      throw TraceError(trace_->events_log().string() + ": no event after checkpoint " +
                       std::to_string(id));
    }
    lookahead_.reset();
    main_rec_ = launch_.pid;
    // One process of several checkpointed at this event: restore all of them.
    uint32_t group[3] = {static_cast<uint32_t>(id), 1, static_cast<uint32_t>(id)};
    if (const std::vector<uint8_t>* g = p.manifest.blob(kGroupBlob)) {
      if (g->size() != sizeof group)
        throw TraceError("checkpoint " + std::to_string(id) + ": bad group");
      memcpy(group, g->data(), sizeof group);
    }
    ReplayTask* runner = nullptr;
    const pid_t mine_tgid = p.task->tgid();
    ReplayTask& mine = adopt_restored(p, id);
    if (static_cast<uint32_t>(id) == group[2]) runner = &mine;
    restored_[mine_tgid] = std::move(p.manifest);
    for (uint32_t other = group[0]; other < group[0] + group[1]; ++other) {
      if (other == static_cast<uint32_t>(id)) continue;
      RestoredProcess q = restorer.restore(other, ro);
      if (q.manifest.seq != seq || !q.manifest.blob(kGroupBlob))
        throw TraceError("checkpoint " + std::to_string(other) + " does not belong with " +
                         std::to_string(id));
      const pid_t tgid = q.task->tgid();
      ReplayTask& t = adopt_restored(q, other);
      if (other == group[2]) runner = &t;
      restored_[tgid] = std::move(q.manifest);
    }
    if (!runner) throw TraceError("checkpoint " + std::to_string(id) + ": incomplete group");
    cur_ = runner;
    last_seq_ = seq;
    if (opt_.to && *opt_.to == seq && !opt_.hold_events) {
      Event here;
      here.seq = seq;
      here.tid = cur_->rec_tid;
      stop_here(task(), here);
      return true;
    }
    resume_app(task());
    return true;
  } catch (const TraceError& e) {
    std::cerr << "ckrr: checkpoint " << id << " is unusable (" << e.what()
              << "); trying an earlier one\n";
  } catch (const Error& e) {
    std::cerr << "ckrr: checkpoint " << id << " could not be restored (" << e.what()
              << "); trying an earlier one\n";
  }
  // Leave no half-restored process behind, and nothing of it in the session.
  kill_all();
  reader_ = std::make_unique<EventLogReader>(trace_->events_log());
  lookahead_.reset();
  last_seq_ = 0;
  restored_.clear();
  registry_ = PluginRegistry::with_builtin_plugins();
  return false;
}

Mapping ReplaySession::symbol_file_for(const Mapping& m) {
  Mapping out = m;
  // A restored process maps checkpoint page files: use what was mapped there originally. The
  // process may also be a child forked after the restore (it inherits those mappings at the
  // same addresses), so every restored process's regions are looked at, the current one first.
  auto resolve_in = [&](const auto& info) {
    for (const SavedRegion& r : info.regions)
      if (m.start >= r.start && m.start < r.end) {
        out.path = r.path;
        out.start = r.start;
        out.end = r.end;
        out.offset = r.offset;
        return true;
      }
    return false;
  };
  auto own = cur_ ? restored_.find(cur_->task->tgid()) : restored_.end();
  bool found = own != restored_.end() && resolve_in(own->second);
  const bool page_file = m.path.find("/checkpoints/") != std::string::npos;
  for (auto it = restored_.begin(); !found && page_file && it != restored_.end(); ++it)
    found = resolve_in(it->second);
  auto it = stored_of_path_.find(out.path);
  if (it != stored_of_path_.end()) out.path = stored_file_path(it->second);
  return out;
}

Event& ReplaySession::peek(const char* what_app_did) {
  if (!lookahead_) {
    Event e;
    if (!reader_->next(e)) {
      if (reader_->truncated() || !complete_)
        throw TraceError(trace_->events_log().string() +
                         ": the recording is truncated after event " + std::to_string(last_seq_) +
                         " (" +
                         (stopped_because_.empty() ? "the recorder did not finish"
                                                   : "recording stopped: " + stopped_because_) +
                         "); replayed up to there");
      throw Divergence(last_seq_ + 1, cur_ ? cur_->rec_tid : 0, "the recording ends here",
                       "end of recording", what_app_did);
    }
    lookahead_ = std::move(e);
  }
  return *lookahead_;
}

Event ReplaySession::take(const char* what_app_did) {
  peek(what_app_did);
  Event e = std::move(*lookahead_);
  lookahead_.reset();
  return e;
}

Event* ReplaySession::peek_or_end() {
  if (lookahead_) return &*lookahead_;
  Event e;
  if (reader_->next(e)) {
    lookahead_ = std::move(e);
    return &*lookahead_;
  }
  if (reader_->truncated() || !complete_) return &peek("");  // throws the TraceError
  return nullptr;
}

int ReplaySession::run() {
  start();
  // Replay never waits for the outside world (calls are emulated): a stretch with no event and
  // no thread running is a hang. Name what each thread waits for and end it (the killed
  // process then shows as a divergence).
  std::optional<Watchdog> watchdog;
  if (uint64_t quiet = Watchdog::quiet_from_env(10000000000ull))
    watchdog.emplace(quiet, [](const Watchdog::Stall& st) {
      std::string text =
          "ckrr replay: watchdog: no progress for " + std::to_string(st.quiet_ns / 1000000000ull) +
          " s and no thread runs; ending the replay. The traced threads:\n" + st.report;
      fputs(text.c_str(), stderr);
      for (pid_t tid : st.tids) kill(tid, SIGKILL);
      return true;
    });
  watchdog_ = watchdog ? &*watchdog : nullptr;
  struct Forget {
    Watchdog*& w;
    ~Forget() { w = nullptr; }
  } forget{watchdog_};
  trap_own_tsc();  // ptrace stops cost 2.5x less when both sides trap rdtsc (OwnTscTrap.h)
  // Event-driven: each event names its thread; that thread alone runs until its next stop, which
  // must be that event. Only one thread runs app code at a time, as when recording.
  while (!stopped_) {
    Event* next = peek_or_end();
    if (!next) {
      if (!main_status_)
        std::cerr << "ckrr: warning: the recording ends without the program's exit; replayed "
                     "all of its "
                  << last_seq_ << " events\n";
      if (!ended_by_.empty())
        std::cerr << "ckrr replay: the recording ends here, as recorded: " << ended_by_ << "\n";
      return main_status_.value_or(0);
    }
    ReplayTask& rt = task_of(*next);
    cur_ = &rt;
    // (After a `--to` inside a run of buffered events, the thread runs to its next stop.)
    // (A run longer than the buffer: once the thread has taken what was given, the agent makes
    // its next call a trapped one, answered below like any event, then the buffer is refilled.)
    if (AgentChannel::buffered(*next) && !agent_to_ && !agent_.pending(next->tid)) {
      fill_agent(rt);
      continue;
    }
    if (trace_events_)
      fprintf(stderr, "ckrr-trace: %llu tid %d %s held=%d started=%d entered=%d\n",
              (unsigned long long)next->seq, next->tid, describe_event(*next).c_str(), rt.held,
              rt.started, rt.entered.has_value());
    if (rt.entered && next->kind != EventKind::Exit) {  // (killed while it waited: no end)
      complete_entered(rt);
      continue;
    }
    switch (next->kind) {
      case EventKind::Enter:
        on_enter(rt);
        continue;
      case EventKind::Preempt:
        reach_point(rt);
        continue;
      case EventKind::Exit:
        finish_process(rt);
        continue;
      case EventKind::Signal:
        if (next->args[0] == 0 && !injecting_) inject_signal(rt, *next);
        rt.step = next->args[3] == kTracerStep;  // one instruction, for the program's tracer
        break;
      default:
        break;
    }
    resume_held(rt);
    handle_stop(wait_task(rt));
  }
  return 0;
}

bool ReplaySession::prepare_next() {
  // run()'s dispatch, for a caller that runs the app itself (hold_events).
  Event* next = peek_or_end();
  if (!next || stopped_) return false;
  ReplayTask& rt = task_of(*next);
  cur_ = &rt;
  if (rt.entered && next->kind != EventKind::Exit) {
    complete_entered(rt);
    return false;
  }
  switch (next->kind) {
    case EventKind::Preempt:
      if (caller_runs_points_) break;  // point_rip(), reached_point()
      reach_point(rt);
      return false;
    case EventKind::Exit:
      finish_process(rt);
      return false;
    case EventKind::Signal:
      if (next->args[0] == 0 && !injecting_) inject_signal(rt, *next);
      break;
    default:
      break;
  }
  ensure_started(rt);
  return true;
}

std::optional<uint64_t> ReplaySession::point_rip() {
  Event* next = peek_or_end();
  if (!next || next->kind != EventKind::Preempt || !cur_ || next->tid != cur_->rec_tid)
    return std::nullopt;
  const Blob* b = next->find_blob(blob::kRegs);
  Registers want{};
  if (!b || b->data.size() != sizeof want)
    throw TraceError("event " + std::to_string(next->seq) + ": a preemption without registers");
  memcpy(&want, b->data.data(), sizeof want);
  return want.rip;
}

bool ReplaySession::reached_point(uint64_t hits) {
  // The same tests as reach_point() and reach_counted_point(), at an arrival the caller saw.
  Event& ev = peek("");
  Registers want{};
  memcpy(&want, ev.find_blob(blob::kRegs)->data.data(), sizeof want);
  const uint64_t digest = ev.args[1];
  Task& t = *cur_->task;
  if (static_cast<PointKind>(ev.args[2]) == PointKind::Counted) {
    if (hits != ev.args[3]) return false;
    if (!same_point_registers(t.regs(), want) || stack_digest(t, want.rsp) != digest) {
      char e[96];
      snprintf(e, sizeof e, "preempted at 0x%llx, hit %llu", (unsigned long long)want.rip,
               (unsigned long long)ev.args[3]);
      throw Divergence(ev.seq, ev.tid, "another state at the preemption point's count", e,
                       "rip " + std::to_string(t.regs().rip));
    }
  } else {
    if (hits == 0 && !(cur_->held && cur_->pending_sig == 0)) return false;
    if (!same_point_registers(t.regs(), want) || stack_digest(t, want.rsp) != digest) return false;
  }
  Event e = take("");
  after_event(t, e);
  if (!stopped_) resume_app(t);
  return true;
}

std::vector<pid_t> ReplaySession::thread_ids(pid_t rec_pid) const {
  std::vector<pid_t> out;
  for (const auto& [rec, rt] : tasks_)
    if (rt.proc->recorded_pid == rec_pid && rt.started) out.push_back(rec);
  return out;
}

Task* ReplaySession::task_of_thread(pid_t rec_tid) {
  auto it = tasks_.find(rec_tid);
  return it == tasks_.end() ? nullptr : it->second.task.get();
}

void ReplaySession::ensure_started(ReplayTask& rt) {
  if (rt.started) return;
  // A new thread's first stop (the SIGSTOP of its attach) comes when the kernel runs it.
  TaskStop s = rt.task->wait();
  if (s.gone())
    throw Divergence(last_seq_ + 1, rt.rec_tid, "a new thread ended before it ran", "a thread",
                     s.describe());
  rt.started = true;
  rt.held = true;
  if (rt.child_tid_fixup) {
    int32_t tid = rt.rec_tid;
    rt.task->write(rt.child_tid_fixup, &tid, sizeof tid);
  }
}

void ReplaySession::resume_held(ReplayTask& rt) {
  ensure_started(rt);
  if (!rt.held) return;  // already running (the debugger's path never gets here)
  rt.held = false;
  int sig = rt.pending_sig;
  rt.pending_sig = 0;
  if (sig && rt.pending_async && has_signal_handler(rt.task->tid(), sig)) {
    rt.pending_async = false;
    rt.stashed = deliver_async_signal(*rt.task, sig, rt.pending_rip);  // as when recording
    return;
  }
  rt.pending_async = false;
  // A stop signal's default action is not taken again: replay needs no stop (the waits that
  // saw it are answered from the log), and whether the kernel stops the process depends on its
  // process group, which differs (an orphaned group's SIGTSTP is discarded when recording).
  if (is_stop_signal(sig) && !has_signal_handler(rt.task->tid(), sig)) sig = 0;
  if (std::exchange(rt.step, false)) {
    // One instruction, as the program's tracer stepped it. From a syscall's stop (replay
    // stands at its entry, the call skipped) the kernel reports the step at the call's exit
    // before any instruction runs: step once more then.
    const uint64_t from = rt.task->regs().rip;
    rt.task->single_step(sig);
    TaskStop s = rt.task->wait();
    if (s.kind == TaskStop::Kind::Signal && s.sig == SIGTRAP && rt.task->regs().rip == from) {
      rt.task->single_step();
      s = rt.task->wait();
    }
    rt.stashed = s;
    return;
  }
  rt.task->cont(sig);
}

TaskStop ReplaySession::wait_task(ReplayTask& rt) {
  if (rt.stashed) {
    TaskStop s = *rt.stashed;
    rt.stashed.reset();
    return s;
  }
  for (;;) {
    TaskStop s = rt.task->wait();
    // The agent's request (a thread's first buffered call) may come on the way to a point.
    if (s.kind != TaskStop::Kind::Seccomp || !agent_.answer_request(*rt.task, rt.rec_tid)) return s;
    rt.task->cont();
  }
}

void ReplaySession::inject_signal(ReplayTask& rt, const Event& ev) {
  ensure_started(rt);
  const Blob* b = ev.find_blob(blob::kSigInfo);
  siginfo_t si{};
  if (b && b->data.size() == sizeof si) memcpy(&si, b->data.data(), sizeof si);
  si.si_signo = ev.nr;
  injecting_ = si;
  syscall(SYS_tgkill, rt.task->tgid(), rt.task->tid(), ev.nr);
}

void ReplaySession::on_enter(ReplayTask& rt) {
  resume_held(rt);
  TaskStop s = wait_task(rt);
  Task& t = *rt.task;
  if (s.kind != TaskStop::Kind::Seccomp) {
    // A foreign signal on the way is dropped; anything else is not what was recorded.
    if (foreign_signal_stop(t, s)) {
      resume_app(t);
      return;
    }
    Event& ev = peek("");
    throw Divergence(ev.seq, ev.tid, "the thread stopped elsewhere before its syscall",
                     describe_event(ev), s.describe());
  }
  enter_call(rt);
}

void ReplaySession::enter_call(ReplayTask& rt) {
  Task& t = *rt.task;
  const Registers regs = t.regs();
  Event ev = take("a syscall");
  check_call(t, ev, regs);
  rt.entered = ev;
  if (ev.mode != ReplayMode::Emulate) {
    // Run for real (vfork: the child runs while it waits); collected at its completion.
    if (is_clone_call(ev.nr)) start_clone(t, ev);  // the enter carries the new tid
    t.resume_syscall();
    rt.call_running = true;
  }
  after_event(t, ev);
}

void ReplaySession::complete_entered(ReplayTask& rt) {
  Task& t = *rt.task;
  if (rt.needs_entry) {
    // Restored from a checkpoint just before the call it waited in: make it again.
    rt.needs_entry = false;
    resume_held(rt);
    TaskStop s = wait_task(rt);
    if (s.kind != TaskStop::Kind::Seccomp ||
        static_cast<long>(t.regs().orig_rax) != rt.entered->nr) {
      Event& next = peek("");
      throw Divergence(next.seq, next.tid, "a restored thread did not make its call again",
                       syscall_display_name(rt.entered->nr), s.describe());
    }
  }
  Event ev = take("the end of a syscall");
  if (ev.kind == EventKind::Enter && ev.nr == rt.entered->nr) {
    after_event(t, ev);  // the call was interrupted and made again: still the same wait
    return;
  }
  if (ev.kind != EventKind::Syscall || ev.nr != rt.entered->nr)
    throw Divergence(ev.seq, ev.tid, "the end of another syscall",
                     syscall_display_name(rt.entered->nr), describe_event(ev));
  rt.entered.reset();
  Registers regs;
  if (rt.call_running) {
    rt.call_running = false;
    TaskStop s = t.wait();
    if (s.kind != TaskStop::Kind::SyscallStop)
      throw Divergence(ev.seq, ev.tid, "a syscall that did not end as recorded", describe_event(ev),
                       s.describe());
    if (is_clone_call(ev.nr)) {
      finish_clone(t, ev);
      after_event(t, ev);
      if (!stopped_) {
        inject_pending_signal();
        resume_app(t);
      }
      return;
    }
    Registers r = t.regs();
    if (ev.mode == ReplayMode::Reexecute && static_cast<int64_t>(r.rax) != ev.result) {
      // Made for real while others ran (a recording from before such calls were kept from
      // others: a file mapping made from the app's fd, which replay emulates).
      throw Divergence(ev.seq, ev.tid, "a call made again returned another result",
                       describe_event(ev), std::to_string(static_cast<int64_t>(r.rax)));
    }
    r.rax = static_cast<uint64_t>(ev.result);
    t.set_regs(r);
    write_memory(t, ev);
    after_event(t, ev);
    if (!stopped_) {
      inject_pending_signal();
      resume_app(t);
    }
    return;
  }
  regs = t.regs();
  apply_call(t, ev, regs);
}

void ReplaySession::reach_point(ReplayTask& rt) {
  Event& ev = peek("");
  const Blob* b = ev.find_blob(blob::kRegs);
  Registers want{};
  if (!b || b->data.size() != sizeof want)
    throw TraceError("event " + std::to_string(ev.seq) + ": a preemption without registers");
  memcpy(&want, b->data.data(), sizeof want);
  const uint64_t digest = ev.args[1];
  ensure_started(rt);
  Task& t = *rt.task;
  if (static_cast<PointKind>(ev.args[2]) == PointKind::Counted) {
    reach_counted_point(rt, want, digest);
    return;
  }
  // Already there (nothing ran since it was recorded, or a spin loop's point)?
  if (rt.held && rt.pending_sig == 0 && same_point_registers(t.regs(), want) &&
      stack_digest(t, want.rsp) == digest) {
    Event e = take("");
    after_event(t, e);
    if (!stopped_) resume_app(t);
    return;
  }
  exec_breakpoint::set(t.tid(), want.rip);
  exec_breakpoint::take_hit(t.tid());
  resume_held(rt);
  for (;;) {
    TaskStop s = wait_task(rt);
    if (s.kind == TaskStop::Kind::Signal && s.sig == SIGTRAP &&
        exec_breakpoint::take_hit(t.tid())) {
      // (A point in the agent's code is the pass after the calls buffered before it.)
      if (same_point_registers(t.regs(), want) && stack_digest(t, want.rsp) == digest &&
          agent_.all_taken(t, rt.rec_tid))
        break;
      if (trace_events_) {
        const Registers& r = t.regs();
        const uint64_t* x = reinterpret_cast<const uint64_t*>(&r);
        const uint64_t* y = reinterpret_cast<const uint64_t*>(&want);
        for (size_t k = 0; k < sizeof r / 8; ++k)
          if (x[k] != y[k])
            fprintf(stderr, "ckrr-trace:   reg word %zu: %llx vs %llx\n", k,
                    (unsigned long long)x[k], (unsigned long long)y[k]);
        fprintf(stderr,
                "ckrr-trace: hit rip=%llx regs %s digest %llx/%llx rax %llx/%llx rsp %llx/%llx\n",
                (unsigned long long)r.rip, same_point_registers(r, want) ? "same" : "differ",
                (unsigned long long)stack_digest(t, want.rsp), (unsigned long long)digest,
                (unsigned long long)r.rax, (unsigned long long)want.rax, (unsigned long long)r.rsp,
                (unsigned long long)want.rsp);
      }
      t.cont();
      continue;
    }
    if (foreign_signal_stop(t, s) && !(injecting_ && injecting_->si_signo == s.sig)) {
      t.cont();  // from outside the replay (a real child's SIGCHLD): not part of the run
      continue;
    }
    exec_breakpoint::clear(t.tid());
    char e[64];
    snprintf(e, sizeof e, "preempted at 0x%llx", (unsigned long long)want.rip);
    if (s.kind == TaskStop::Kind::Seccomp) {
      const Registers& r = t.regs();
      throw Divergence(
          ev.seq, ev.tid, "the thread made a syscall before its preemption point", e,
          syscall_display_name(static_cast<long>(r.orig_rax)) + " at " + std::to_string(r.rip));
    }
    throw Divergence(ev.seq, ev.tid, "the thread stopped before its preemption point", e,
                     s.describe());
  }
  exec_breakpoint::clear(t.tid());
  Event e = take("");
  after_event(t, e);
  if (!stopped_) resume_app(t);
}

void ReplaySession::reach_counted_point(ReplayTask& rt, const Registers& want, uint64_t digest) {
  // The recorder counted the hits of this address from the thread's previous event (where it
  // is held now) and stopped at the args[3]-th: stop at the same one, then check the state.
  Event& ev = peek("");
  Task& t = *rt.task;
  const uint64_t target = ev.args[3];
  char e[96];
  snprintf(e, sizeof e, "preempted at 0x%llx, hit %llu", (unsigned long long)want.rip,
           (unsigned long long)target);
  exec_breakpoint::set(t.tid(), want.rip);
  exec_breakpoint::take_hit(t.tid());
  resume_held(rt);
  uint64_t hits = 0;
  for (;;) {
    TaskStop s = wait_task(rt);
    if (s.kind == TaskStop::Kind::Signal && s.sig == SIGTRAP &&
        exec_breakpoint::take_hit(t.tid())) {
      if (++hits == target) break;
      t.cont();
      continue;
    }
    if (s.kind == TaskStop::Kind::Signal && !is_synchronous_fault(s.sig, t.siginfo()) &&
        !(injecting_ && injecting_->si_signo == s.sig)) {
      t.cont();  // from outside the replay (a real child's SIGCHLD): not part of the run
      continue;
    }
    exec_breakpoint::clear(t.tid());
    std::string actual = s.describe();
    if (s.kind == TaskStop::Kind::Seccomp) {
      const Registers& r = t.regs();
      actual = syscall_display_name(static_cast<long>(r.orig_rax)) + " at " +
               std::to_string(r.rip) + " after " + std::to_string(hits) + " hits";
      throw Divergence(ev.seq, ev.tid, "the thread made a syscall before its preemption point", e,
                       actual);
    }
    throw Divergence(ev.seq, ev.tid, "the thread stopped before its preemption point", e, actual);
  }
  exec_breakpoint::clear(t.tid());
  if (!same_point_registers(t.regs(), want) || stack_digest(t, want.rsp) != digest) {
    const Registers& r = t.regs();
    char a[160];
    snprintf(a, sizeof a, "rip 0x%llx rsp 0x%llx rax 0x%llx stack digest %s",
             (unsigned long long)r.rip, (unsigned long long)r.rsp, (unsigned long long)r.rax,
             stack_digest(t, want.rsp) == digest ? "same" : "different");
    throw Divergence(ev.seq, ev.tid, "another state at the preemption point's count", e, a);
  }
  Event taken = take("");
  after_event(t, taken);
  if (!stopped_) resume_app(t);
}

void ReplaySession::finish_process(ReplayTask& rt) {
  // Every thread of the process goes; the leader's status, reported last, is compared.
  std::shared_ptr<ProcessState> proc = rt.proc;
  std::vector<pid_t> members;
  for (auto& [rec, t] : tasks_)
    if (t.proc == proc && rec != rt.rec_tid) members.push_back(rec);
  members.push_back(rt.rec_tid);
  // The real leader last: it is reported only once the others are collected (after a restore
  // it may be another recorded thread than the recorded leader).
  std::stable_partition(members.begin(), members.end(), [&](pid_t rec) {
    const Task& x = *tasks_.at(rec).task;
    return x.tid() != x.tgid();
  });
  int leader_status = 0;
  // Killed by SIGKILL (from outside, or by ckrr record's own end): no stop ever showed it, so
  // the process is killed here, where its last event left it.
  const int recorded = peek("").result;
  const bool killed = WIFSIGNALED(recorded) && WTERMSIG(recorded) == SIGKILL;
  if (killed) kill(rt.task->tgid(), SIGKILL);
  // Let the one making the exit (and any other held thread) go on first: the others are killed
  // by it wherever they are stopped.
  for (pid_t rec : members) {
    ReplayTask& m = tasks_.at(rec);
    warn_unfinished_write(m);
    if (killed && !m.started) continue;  // its first stop may never come: collected below
    if (!m.started) ensure_started(m);
    if (m.held) {
      m.held = false;
      ptrace(PTRACE_CONT, m.task->tid(), nullptr, m.pending_sig);
    }
  }
  for (pid_t rec : members) {
    ReplayTask& m = tasks_.at(rec);
    for (;;) {
      TaskStop s = m.task->wait();
      if (s.gone()) {
        if (m.task->tid() == m.task->tgid()) leader_status = s.raw_status;
        break;
      }
      if (rec == rt.rec_tid && s.kind == TaskStop::Kind::Seccomp && !killed) {
        Event& ev = peek("");
        throw Divergence(ev.seq, ev.tid, "the process went on where the recording has its end",
                         describe_event(ev),
                         syscall_display_name(static_cast<long>(m.task->regs().orig_rax)));
      }
      ptrace(PTRACE_CONT, m.task->tid(), nullptr, 0);
    }
  }
  cur_ = &rt;
  std::optional<int> st = on_gone(leader_status);
  const pid_t rec_pid = proc->recorded_pid;
  for (pid_t rec : members) tasks_.erase(rec);
  cur_ = nullptr;
  if (rec_pid == main_rec_ && st) main_status_ = st;
}

void ReplaySession::warn_unfinished_write(const ReplayTask& m) {
  if (!m.entered) return;
  const std::optional<int> fd = written_fd(m.entered->nr, m.entered->args);
  const FdEntry* e = fd ? m.proc->fd(*fd) : nullptr;
  if (!e || (e->std_stream != 1 && e->std_stream != 2)) return;
  // The recorder writes the end of such a write before the process ends; a trace without it
  // (killed from outside, or recorded by an older ckrr) cannot say what the write printed.
  std::cerr << "ckrr: warning: event " << m.entered->seq << ": thread " << m.rec_tid << "'s "
            << syscall_display_name(m.entered->nr) << " to "
            << (e->std_stream == 1 ? "stdout" : "stderr")
            << " was still in progress when its process ended; the recording does not say what "
               "it wrote, so this replay may print less than the recording\n";
}

void ReplaySession::write_memory(Task& t, const Event& ev) {
  for (const MemWrite& w : ev.writes) t.write(w.addr, w.bytes.data(), w.bytes.size());
}

void ReplaySession::check_call(Task& t, const Event& ev, const Registers& regs) {
  long nr = static_cast<long>(regs.orig_rax);
  uint64_t args[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  std::string did = call_text(nr, args);
  bool is_exec = nr == SYS_execve || nr == SYS_execveat;
  if (ev.kind != EventKind::Syscall && ev.kind != EventKind::Exec && ev.kind != EventKind::Enter)
    throw Divergence(ev.seq, ev.tid,
                     "the program made a syscall where the recording has " +
                         std::string(event_kind_name(ev.kind)),
                     describe_event(ev), did);
  if (ev.nr != nr)
    throw Divergence(ev.seq, ev.tid, "a different syscall", call_text(ev.nr, ev.args), did);
  if (is_exec) {
    // The first exec's arguments point into ckrr's own memory: compare the path instead.
    std::string path = t.read_string(nr == SYS_execveat ? args[1] : args[0]);
    const Blob* b = ev.find_blob(blob::kPath);
    if (b && b->text() != path)
      throw Divergence(ev.seq, ev.tid, "exec of another file", std::string(b->text()), path);
  } else if (!std::equal(args, args + 6, ev.args)) {
    throw Divergence(ev.seq, ev.tid, "the same syscall with other arguments",
                     call_text(ev.nr, ev.args), did);
  }
  if (const Blob* ip = ev.find_blob(blob::kIp); ip && ip->data.size() == 8 && !is_exec) {
    uint64_t rip;
    memcpy(&rip, ip->data.data(), 8);
    if (rip != regs.rip) {
      char e[32], a[32];
      snprintf(e, sizeof e, "0x%llx", (unsigned long long)rip);
      snprintf(a, sizeof a, "0x%llx", (unsigned long long)regs.rip);
      throw Divergence(ev.seq, ev.tid, "the same syscall made from another place", e, a);
    }
  }
}

void ReplaySession::on_syscall(Task& t) {
  const Registers regs = t.regs();
  long nr = static_cast<long>(regs.orig_rax);
  uint64_t args[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  std::string did = call_text(nr, args);
  Event& next = peek(did.c_str());
  if (next.kind == EventKind::Enter) {  // the debugger's path: park it like run() does
    enter_call(*cur_);
    return;
  }
  Event ev = take(did.c_str());
  check_call(t, ev, regs);
  apply_call(t, ev, regs);
}

void ReplaySession::start_clone(Task& t, const Event& ev) {
  // At the call's entry: let the kernel create the thread or process; map it to the recorded
  // tid (the call's recorded result).
  strip_clone_untraced(t, ev.nr, ev.args);
  t.resume_syscall();
  TaskStop s = t.wait();
  if (s.kind != TaskStop::Kind::Clone)
    throw Divergence(ev.seq, ev.tid, "no new thread or process", describe_event(ev), s.describe());
  pid_t real = static_cast<pid_t>(t.event_msg());
  CloneCall c = decode_clone_call(t, ev.nr, ev.args);
  pid_t rec = static_cast<pid_t>(ev.result);
  if (const Blob* b = ev.find_blob(blob::kNewTid); b && b->data.size() == sizeof(int32_t))
    std::memcpy(&rec, b->data.data(), sizeof(int32_t));  // the result is a namespace's id
  std::shared_ptr<ProcessState> proc = cur_->proc;
  if (!c.thread()) {
    proc = std::make_shared<ProcessState>(*cur_->proc);
    proc->recorded_pid = rec;
    proc->real_pid = real;
  }
  ReplayTask& child =
      add_task(rec, std::make_unique<Task>(real, c.thread() ? t.tgid() : real), proc);
  child.started = false;
  if (c.flags & CLONE_CHILD_SETTID) child.child_tid_fixup = c.child_tid;
}

void ReplaySession::finish_clone(Task& t, const Event& ev) {
  // At the call's exit: the app sees the recorded tid, here and where the kernel wrote it.
  Registers r = t.regs();
  r.rax = static_cast<uint64_t>(ev.result);
  t.set_regs(r);
  CloneCall c = decode_clone_call(t, ev.nr, ev.args);
  if ((c.flags & CLONE_PARENT_SETTID) && c.parent_tid) {
    int32_t tid = static_cast<int32_t>(ev.result);
    t.write(c.parent_tid, &tid, sizeof tid);
  }
}

void ReplaySession::apply_call(Task& t, Event& ev, const Registers& regs) {
  long nr = ev.nr;
  uint64_t args[6];
  std::copy(ev.args, ev.args + 6, args);
  bool is_exec = nr == SYS_execve || nr == SYS_execveat;
  if (is_exec && ev.kind == EventKind::Exec) {
    on_exec(t, ev);
    after_event(t, ev);
    if (!stopped_) resume_app(t);
    return;
  }
  if (is_clone_call(nr) && ev.result > 0) {
    start_clone(t, ev);
    t.resume_syscall();
    TaskStop s = t.wait();
    if (s.kind != TaskStop::Kind::SyscallStop)
      throw Divergence(ev.seq, ev.tid, "the new thread's creation did not end as recorded",
                       describe_event(ev), s.describe());
    finish_clone(t, ev);
    after_event(t, ev);
    if (stopped_) return;
    inject_pending_signal();
    resume_app(t);
    return;
  }
  if (std::optional<uint64_t> mask = temporary_mask(t, nr, args);
      mask && (ev.result == -EINTR || is_restart_result(ev.result))) {
    // A call that waited with a temporary signal mask (sigsuspend, pselect6, ppoll,
    // epoll_pwait) and was ended by a signal that mask let through. Replay makes the same wait
    // with the kernel's own rt_sigsuspend on that mask, the signal raised first: it returns at
    // once, and the handler runs with the masks the kernel gives it (the mask outside the call
    // may block the signal).
    Event* next = peek_or_end();
    if (next && next->kind == EventKind::Signal && next->args[0] == 0 &&
        next->tid == cur_->rec_tid) {
      inject_signal(*cur_, *next);
      Registers r = regs;
      r.orig_rax = SYS_rt_sigsuspend;
      r.rdi = *mask;
      r.rsi = 8;
      t.set_regs(r);
      t.resume_syscall();
      TaskStop s = t.wait();
      if (s.kind != TaskStop::Kind::SyscallStop)
        throw Divergence(ev.seq, ev.tid, "the wait did not end on its signal", describe_event(ev),
                         s.describe());
      r = t.regs();
      r.rax = static_cast<uint64_t>(ev.result);
      r.orig_rax = static_cast<uint64_t>(nr);  // restarts the app's call, not ours
      t.set_regs(r);
      restore_args(t, args);
      write_memory(t, ev);
      after_event(t, ev);
      if (!stopped_) resume_app(t);
      return;
    }
  }
  Plugin* plugin = registry_.owner(nr);  // every number has one (the kernel plugin by default)
  SyscallContext ctx{t, *cur_->proc, *this, ev, static_cast<int>(nr)};
  std::copy(args, args + 6, ctx.args);
  ctx.result = ev.result;
  plugin->replay_entry(ctx);
  bool exiting = nr == SYS_exit || nr == SYS_exit_group;
  if (is_clone_call(nr)) ev.mode = ReplayMode::Emulate;  // a failed clone: nothing to create
  if (!ctx.handled) {
    switch (ev.mode) {
      case ReplayMode::Emulate: {
        if (is_restart_result(ev.result)) {
          finish_skipped(t);
          Registers r = t.regs();
          Event* next = peek_or_end();
          if (next && next->kind == EventKind::Signal && next->tid == ev.tid) {
            // A signal is delivered next: keep orig_rax so the kernel decides, as when
            // recording, between restarting the call and EINTR.
            r.rax = static_cast<uint64_t>(ev.result);
            r.orig_rax = static_cast<uint64_t>(nr);
          } else {
            // No signal for this thread (another thread took it, or it was ignored): the
            // kernel restarted the call. Do it here: with nothing pending the kernel would
            // not look at the result, and the app would see it.
            r.rax = ev.result == -516 ? uint64_t(SYS_restart_syscall) : uint64_t(nr);
            r.rip -= 2;
            r.orig_rax = static_cast<uint64_t>(-1);
          }
          t.set_regs(r);
        } else {
          Registers r = regs;
          r.orig_rax = static_cast<uint64_t>(-1);
          r.rax = static_cast<uint64_t>(ev.result);
          t.set_regs(r);
        }
        write_memory(t, ev);
        break;
      }
      case ReplayMode::Reexecute: {
        if (exiting) break;  // checked by its exit status
        t.resume_syscall();
        TaskStop s = t.wait();
        if (s.gone())
          throw Divergence(ev.seq, ev.tid, "the program ended in a syscall", describe_event(ev),
                           s.describe());
        int64_t got = static_cast<int64_t>(t.regs().rax);
        if (got != ev.result)
          throw Divergence(ev.seq, ev.tid, syscall_display_name(nr) + " returned another value",
                           std::to_string(ev.result), std::to_string(got));
        restore_args(t, args);
        break;
      }
      case ReplayMode::ReexecuteOverride: {
        t.resume_syscall();
        TaskStop s = t.wait();
        if (s.gone())
          throw Divergence(ev.seq, ev.tid, "the program ended in a syscall", describe_event(ev),
                           s.describe());
        Registers r = t.regs();
        r.rax = static_cast<uint64_t>(ev.result);
        t.set_regs(r);
        restore_args(t, args);
        write_memory(t, ev);
        break;
      }
    }
  }
  replay_call_exit(*plugin, ctx);
  apply_tracee_effects(ev);
  after_event(t, ev);
  if (stopped_) return;
  if (nr == SYS_exit && tasks_.size() > 1) {
    // A thread's end: the kernel clears its tid word and wakes joiners now, before any other
    // thread runs (as when recording).
    ReplayTask& rt = *cur_;
    rt.exiting = true;
    if (rt.rec_tid != t.tid()) mark_robust_futexes_dead(t, rt.rec_tid);
    t.cont();
    bool last = std::count_if(tasks_.begin(), tasks_.end(),
                              [&](const auto& kv) { return kv.second.proc == rt.proc; }) == 1;
    if (t.tid() != t.tgid()) {
      TaskStop s = t.wait();
      if (!s.gone())
        throw Divergence(ev.seq, ev.tid, "the thread did not end", "exit", s.describe());
      ended_threads_[rt.rec_tid] = rt.proc;
      tasks_.erase(rt.rec_tid);
      cur_ = nullptr;
    } else if (!last) {
      t.wait_until_exited();  // a leader: reported when its process ends
    }
    return;
  }
  if (!exiting) inject_pending_signal();
  resume_app(t);
}

void ReplaySession::end_other_threads(const std::vector<pid_t>& others_rec,
                                      const std::vector<pid_t>& others,
                                      const std::set<pid_t>& reaped) {
  // The exec ended the process's other threads: collect them and file the calling thread
  // under the process's pid, as recorded.
  reap_ended_threads(cur_->task->tgid(), others, reaped);
  for (pid_t rec : others_rec) tasks_.erase(rec);
  const pid_t leader = cur_->proc->recorded_pid;
  if (cur_->rec_tid == leader) return;
  ReplayTask moved = std::move(*cur_);
  tasks_.erase(moved.rec_tid);
  moved.rec_tid = leader;
  cur_ = &(tasks_[leader] = std::move(moved));
}

void ReplaySession::on_exec(Task& t, Event& ev) {
  std::vector<pid_t> others_rec, others;
  for (auto& [rec, o] : tasks_)
    if (&o != cur_ && o.proc == cur_->proc) {
      others_rec.push_back(rec);
      others.push_back(o.task->tid());
    }
  std::set<pid_t> reaped;
  if (const Blob* cwd = ev.find_blob(blob::kCwd))
    exec_in_directory(t, std::string(cwd->text()), [this](Task& task) { finish_skipped(task); });
  if (exec_names_fd(ev.nr, t.regs())) {
    const Blob* program = ev.find_blob(blob::kStoredFile);
    if (!program)
      throw Error("replay: the trace lacks the program of exec event " + std::to_string(ev.seq));
    provide_exec_fd(t, *cur_->proc, stored_file_path(std::string(program->text())),
                    [this](Task& task) { finish_skipped(task); });
  }
  t.resume_syscall();
  // Stale stops of the others: threads not started yet (their attach stop), dying anyway.
  TaskStop s = others.empty() ? t.wait() : wait_threaded_exec(t, others, reaped, [](pid_t, int) {});
  if (s.kind != TaskStop::Kind::Exec)
    throw Divergence(ev.seq, ev.tid, "exec did not succeed", "exec", s.describe());
  if (!others.empty()) end_other_threads(others_rec, others, reaped);
  t.resume_syscall();
  s = t.wait();
  if (s.kind != TaskStop::Kind::SyscallStop)
    throw Error("replay: unexpected " + s.describe() + " after exec");
  const Blob* rnd = ev.find_blob(blob::kRandom);
  std::optional<std::vector<uint8_t>> random;
  if (rnd) random = rnd->data;
  ExecInfo info = prepare_exec(t, random);
  const Blob* auxv = ev.find_blob(blob::kAuxv);
  if (auxv && auxv->data != info.auxv)
    throw Divergence(ev.seq, ev.tid, "the new program's auxiliary vector differs",
                     std::to_string(auxv->data.size()) + " bytes as recorded",
                     std::to_string(info.auxv.size()) + " bytes, other values");
  cur_->proc->exec();
  ++exec_count_;
  for (const auto& p : registry_.plugins()) p->on_exec(*cur_->proc);
}

void ReplaySession::inject_pending_signal() {
  Event* next = nullptr;
  try {
    next = &peek("");
  } catch (const Divergence&) {
    return;
  }
  if (next->kind != EventKind::Signal || next->args[0] != 0 || next->tid != cur_->rec_tid) return;
  inject_signal(*cur_, *next);
}

void ReplaySession::on_signal(Task& t, int sig) {
  if (injecting_ && injecting_->si_signo == sig) {
    Event ev = take("a signal");
    t.set_siginfo(*injecting_);
    injecting_.reset();
    after_event(t, ev);
    if (!stopped_) {
      resume_app(t, sig);
      cur_->pending_async = true;
      cur_->pending_rip = t.regs().rip;
    }
    return;
  }
  if (is_stop_signal(sig)) {
    resume_app(t);
    return;
  }
  siginfo_t si = t.siginfo();
  const Registers& regs = t.regs();
  char did[96];
  snprintf(did, sizeof did, "signal %d at 0x%llx", sig, (unsigned long long)regs.rip);
  // The agent read the TSC itself at a patched site: its next record was not that read.
  if (sig == SIGSEGV && TscSites::site_of(regs) != regs.rip) {
    if (std::optional<Event> e = agent_.untaken(t, cur_->rec_tid))
      throw Divergence(e->seq, e->tid, "a call that ran through the agent's buffer was not made",
                       describe_event(*e), TscSites::describe(t, regs));
    if (agent_to_) {  // `--to` a buffered read: the state right after it, before this one
      Event at = std::move(*agent_to_);
      agent_to_.reset();
      stop_here(t, at);
      return;
    }
  }
  Event& next = peek(did);
  FaultContext fc{t, *cur_->proc, *this, next, sig, si};
  for (const auto& p : registry_.plugins()) {
    if (p->replay_fault(fc)) {
      Event ev = take(did);
      after_event(t, ev);
      if (!stopped_) resume_app(t);
      return;
    }
  }
  if (is_synchronous_fault(sig, si)) {
    Event ev = take(did);
    if (ev.kind != EventKind::Signal || ev.nr != sig || ev.args[2] != regs.rip) {
      char exp[96];
      snprintf(exp, sizeof exp, "%s at 0x%llx", describe_event(ev).c_str(),
               (unsigned long long)ev.args[2]);
      throw Divergence(ev.seq, ev.tid, "a fault the recording does not have", exp, did);
    }
    after_event(t, ev);
    // Stopped for the program's tracer: it goes on with the signal its tracer gives (a
    // TraceeEffect), none until then.
    if (!stopped_) resume_app(t, ev.args[3] ? 0 : sig);
    return;
  }
  // A signal from outside the replay (the terminal, another process): not part of the run.
  resume_app(t);
}

std::optional<int> ReplaySession::on_gone(int raw_status) {
  if (cur_->proc->recorded_pid == main_rec_) done_ = true;
  char did[64];
  snprintf(did, sizeof did, "exit with wait status 0x%x", raw_status);
  Event ev = take(did);
  if (ev.kind != EventKind::Exit || ev.result != raw_status)
    throw Divergence(ev.seq, ev.tid, "the program ended differently", describe_event(ev), did);
  after_event(task(), ev);
  if (opt_.progress && ev.seq == total_events_)
    fprintf(stderr, "ckrr-progress: %llu/%llu\n", (unsigned long long)ev.seq,
            (unsigned long long)ev.seq);
  if (stopped_) return std::nullopt;
  if (WIFEXITED(raw_status)) return WEXITSTATUS(raw_status);
  return 128 + WTERMSIG(raw_status);
}

void ReplaySession::apply_tracee_effects(const Event& ev) {
  for (const TraceeEffect& e : tracee_effects(ev)) {
    auto it = tasks_.find(e.tid);
    if (it == tasks_.end() || !it->second.held)
      throw Divergence(ev.seq, ev.tid, "the program's tracee is not stopped where it was",
                       "thread " + std::to_string(e.tid) + " held", "not held");
    ReplayTask& tracee = it->second;
    if (e.kind == TraceeEffect::Kind::Memory) {
      tracee.task->write(e.value, e.bytes.data(), e.bytes.size());
    } else if (e.kind == TraceeEffect::Kind::Registers &&
               e.bytes.size() == sizeof(user_regs_struct)) {
      Registers r = tracee.task->regs();
      const uint64_t orig_rax = r.orig_rax;  // where replay stands in a call is its own
      std::memcpy(&r, e.bytes.data(), sizeof(user_regs_struct));
      r.orig_rax = orig_rax;
      tracee.task->set_regs(r);
    } else if (e.kind == TraceeEffect::Kind::XState) {
      tracee.task->set_xstate(e.bytes);
    } else if (e.kind == TraceeEffect::Kind::Signal) {
      tracee.pending_sig = static_cast<int>(e.value);
    }
  }
}

void ReplaySession::after_event(Task& t, const Event& ev) {
  if ((ev.kind == EventKind::Preempt || ev.kind == EventKind::Signal) && cur_)
    check_agent_taken(nullptr);
  last_seq_ = ev.seq;
  if (watchdog_) watchdog_->progress();
  if (opt_.progress && (ev.seq & 255) == 0) {
    uint64_t now = monotonic_ns();
    if (now - last_progress_ns_ > 100000000ull) {
      last_progress_ns_ = now;
      fprintf(stderr, "ckrr-progress: %llu/%llu\n", (unsigned long long)ev.seq,
              (unsigned long long)total_events_);
    }
  }
  if (opt_.to && ev.seq >= *opt_.to && !opt_.hold_events) stop_here(t, ev);
}

void ReplaySession::resume_app(Task&, int sig) {
  // Held until the thread's next event comes up (run()), or until the debugger resumes it.
  cur_->held = true;
  cur_->pending_sig = sig;
}

void ReplaySession::fill_agent(ReplayTask& rt) {
  ensure_started(rt);
  std::vector<Event> evs;
  uint64_t bytes = 0;
  const int32_t tid = rt.rec_tid;
  for (Event* e = peek_or_end(); e && e->tid == tid && AgentChannel::buffered(*e);
       e = peek_or_end()) {
    // Two runs of one thread can follow each other (flushed at a stop that made no event):
    // what does not fit now is filled at the next stop, or answered there as a trapped call.
    bytes += AgentChannel::record_size(*e);
    if (!evs.empty() && bytes > AgentChannel::capacity()) break;
    evs.push_back(take(""));
    if (opt_.to && evs.back().seq >= *opt_.to && !opt_.hold_events) {
      // `--to` a buffered call: the thread stops at its next call after it, which the agent
      // then makes as a trapped one (its buffer is empty): the state right after the call.
      agent_to_ = evs.back();
      break;
    }
  }
  const uint64_t first = evs.front().seq, last = evs.back().seq;
  const std::string what = describe_event(evs.front());
  if (!agent_.fill(*rt.task, tid, std::move(evs)))
    throw Divergence(first, tid, "the thread has no agent buffer for a call that ran through it",
                     what, "no libckrr_agent.so slot in the thread");
  last_seq_ = last;
  if (watchdog_) watchdog_->progress();
}

void ReplaySession::check_agent_taken(const TaskStop* s) {
  std::optional<Event> e = agent_.untaken(task(), cur_->rec_tid);
  if (!e) return;
  std::string did = s ? s->describe() : "its next event, a signal or preemption point";
  if (s && s->kind == TaskStop::Kind::Seccomp) {
    const Registers& r = task().regs();
    const uint64_t a[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
    did = call_text(static_cast<long>(r.orig_rax), a) + " (trapped)";
  }
  throw Divergence(e->seq, e->tid, "a call that ran through the agent's buffer was not made",
                   e->kind == EventKind::Rdtsc ? describe_event(*e) : call_text(e->nr, e->args),
                   did);
}

std::optional<int> ReplaySession::handle_stop(const TaskStop& s) {
  if (s.kind == TaskStop::Kind::Seccomp && agent_.answer_request(task(), cur_->rec_tid)) {
    task().cont();  // the agent's own request: no event, in record and replay alike
    return handle_stop(wait_task(*cur_));
  }
  // (A signal stop may be foreign to the run, a real child's SIGCHLD: signal events are
  // checked once matched, in after_event.)
  if (s.kind == TaskStop::Kind::Seccomp) {
    check_agent_taken(&s);
    agent_.patch_site(task(), cur_->rec_tid);  // as when recording, at the same stop
  }
  if (s.kind == TaskStop::Kind::Seccomp && agent_to_) {
    Event at = std::move(*agent_to_);
    agent_to_.reset();
    stop_here(task(), at);
    return std::nullopt;
  }
  cur_->held = false;
  cur_->pending_sig = 0;
  switch (s.kind) {
    case TaskStop::Kind::Seccomp:
      on_syscall(task());
      break;
    case TaskStop::Kind::Signal:
      on_signal(task(), s.sig);
      break;
    case TaskStop::Kind::Exited:
    case TaskStop::Kind::Killed:
      return on_gone(s.raw_status);
    default:
      resume_app(task());
      break;
  }
  return std::nullopt;
}

ReplaySession::SavedState ReplaySession::save_state() const {
  SavedState s;
  s.seq = last_seq_;
  s.exec_count = exec_count_;
  cur_->proc->serialize(s.process);
  for (const auto& p : registry_.plugins()) {
    s.plugins.emplace_back();
    p->save_state(s.plugins.back());
  }
  return s;
}

void ReplaySession::adopt(std::unique_ptr<Task> t, const SavedState& s) {
  auto proc = std::make_shared<ProcessState>();
  if (!proc->deserialize(s.process)) throw Error("in-memory snapshot: bad process state");
  proc->real_pid = t->tid();
  kill_all();
  cur_ = &add_task(proc->recorded_pid, std::move(t), proc);
  size_t i = 0;
  for (const auto& p : registry_.plugins()) p->restore_state(s.plugins.at(i++));
  if (auto row = index_->event(s.seq + 1)) {
    reader_->seek(row->chunk_offset, row->chunk_index);
  } else if (!reader_->seek_seq(s.seq + 1) && s.seq != total_events_) {
    throw TraceError(trace_->events_log().string() + ": no event after " + std::to_string(s.seq));
  }
  lookahead_.reset();
  last_seq_ = s.seq;
  exec_count_ = s.exec_count;
  injecting_.reset();
  cur_->held = true;
  cur_->pending_sig = 0;
  done_ = false;
  stopped_ = false;
}

const Event* ReplaySession::next_event() {
  try {
    return &peek("");
  } catch (const Divergence&) {
    return nullptr;
  } catch (const TraceError&) {
    return nullptr;
  }
}

DeadRanges ReplaySession::buffers_of_waiting_calls(uint64_t seq, std::set<int32_t> waiting) {
  // What a waiting call writes is unspecified until it returns, and in the recording the kernel
  // may have written it already (a checkpoint then holds it early): leave it out. The writes are
  // those of each thread's next event, found by reading ahead in the log.
  DeadRanges out;
  if (waiting.empty()) return out;
  EventLogReader ahead(trace_->events_log());
  Event e;
  if (!ahead.seek_seq(seq + 1)) return out;
  while (!waiting.empty() && ahead.next(e)) {
    if (!waiting.erase(e.tid)) continue;
    for (const MemWrite& w : e.writes) out.emplace_back(w.addr, w.addr + w.bytes.size());
  }
  return out;
}

void ReplaySession::stop_here(Task& t, const Event& ev) {
  stopped_ = true;
  if (opt_.print_state) {
    std::string text;
    if (ev.kind == EventKind::Exit) {
      text = "event: " + std::to_string(ev.seq) + "\nthread: " + std::to_string(ev.tid) +
             "\nexited: " + describe_event(ev) + "\n";
    } else {
      DeadRanges others;  // the other threads of the process, stopped where they are
      std::set<int32_t> waiting;
      for (auto& [rec, o] : tasks_)
        if (&o != cur_ && o.proc == cur_->proc && o.started && !o.call_running && !o.exiting) {
          Registers r;
          if (o.task->try_regs(&r))
            for (const auto& d : dead_stack_of(o.task->tid(), r.rsp)) others.push_back(d);
          if (o.entered) waiting.insert(rec);
        }
      for (const auto& d : buffers_of_waiting_calls(ev.seq, waiting)) others.push_back(d);
      text = describe_state(
                 t, *cur_->proc, ev.seq, ev.tid,
                 [this](const Mapping& m) { return symbol_file_for(m); }, others)
                 .text;
    }
    if (opt_.state_out.empty()) {
      fflush(stdout);
      echo(1, text.data(), text.size());
    } else {
      std::ofstream out(opt_.state_out);
      out << text;
      if (!out) throw Error("cannot write " + opt_.state_out.string());
    }
  }
  (void)t;
  kill_all();
  done_ = true;
}

}  // namespace ckrr
