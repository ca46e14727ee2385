#include "replayer/ReplayTimeline.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <time.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/Error.h"
#include "storage/EventLogReader.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

namespace {

using K = TimelineStop::Kind;

// Thrown out of a replay toward a position when gdb's Ctrl-C arrives; we stay where we got.
struct InterruptedRun {};

constexpr uint64_t kSnapshotEveryNs = 20'000'000;  // of replay time
constexpr size_t kMaxSnapshots = 32;

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void wake_up(int) {}  // only there to make the tracer's waitpid return EINTR

// Signals gdb stops for by default ("handle" table): the others it would pass on silently.
bool gdb_stops_for(int sig) {
  switch (sig) {
    case SIGALRM:
    case SIGURG:
    case SIGCHLD:
    case SIGWINCH:
    case SIGIO:
    case SIGPROF:
    case SIGVTALRM:
      return false;
    default:
      return true;
  }
}

}  // namespace

ReplayTimeline::ReplayTimeline(ReplayOptions base, pid_t follow)
    : base_(std::move(base)), follow_(follow) {
  tracer_thread_ = pthread_self();  // the ptrace tracer: every other call comes from it too
  struct sigaction sa {};
  sa.sa_handler = wake_up;  // no SA_RESTART: waitpid returns EINTR
  sigaction(SIGURG, &sa, nullptr);
  base_.hold_events = true;
  base_.print_state = false;
  std::optional<uint64_t> to = base_.to;
  load_exec_info();
  if (follow_) {
    // Another process of the tree: it starts at its exec (or its fork, without one).
    start_event_ = follow_start_;
    if (!to) to = follow_start_;
  }
  restart(to.value_or(0));
  base_.from_checkpoint.reset();  // only for the first start
  if (to) {
    if (*to < start_event_)
      throw Error("event " + std::to_string(*to) + " is before the program's start (event " +
                  std::to_string(start_event_) + ")");
    forward_to(Position{*to, {}, false}, nullptr);
  }
  names_ = std::make_unique<ThreadNames>(TraceDirectory::open(base_.trace_dir).events_log());
  cur_thread_ = thread_at(pos_.event);
  if (follow_ && !exe_.empty() && exe_[0] != '/')
    if (Task* t = any_task()) {
      // The exec named it relative to the process's cwd: the replayed process has the file.
      std::error_code ec;
      auto real = std::filesystem::read_symlink("/proc/" + std::to_string(t->tid()) + "/exe", ec);
      if (!ec) exe_ = real.string();
    }
}

ReplayTimeline::~ReplayTimeline() = default;

void ReplayTimeline::load_exec_info() {
  TraceDirectory dir = TraceDirectory::open(base_.trace_dir);
  std::set<pid_t> tids;  // of the followed process (none: the first one)
  if (follow_) {
    std::unique_ptr<TimelineIndex> index;
    try {
      index = TimelineIndex::open(dir.index_db(), true);
    } catch (const TraceError& e) {
      throw Error(std::string("--pid needs the recording's index: ") + e.what());
    }
    std::string pids;
    uint64_t first = 0;
    for (const ThreadRow& t : index->threads()) {
      if (pids.find(" " + std::to_string(t.pid) + " ") == std::string::npos)
        pids += " " + std::to_string(t.pid) + " ";
      if (t.pid != follow_) continue;
      tids.insert(t.tid);
      if (!first || t.first_seq < first) first = t.first_seq;
    }
    if (tids.empty())
      throw Error("the recording has no process " + std::to_string(follow_) +
                  " (its processes:" + pids + "; see 'ckrr info')");
    follow_start_ = first > 1 ? first - 1 : first;
  }
  EventLogReader reader(dir.events_log());
  Event e;
  while (reader.next(e)) {
    if (e.kind != EventKind::Exec) continue;
    if (follow_ && !tids.count(e.tid)) continue;
    if (follow_) follow_start_ = e.seq;
    if (const Blob* b = e.find_blob(blob::kAuxv)) auxv_ = b->data;
    if (const Blob* b = e.find_blob(blob::kPath)) exe_ = std::string(b->text());
    break;
  }
  try {
    auto index = TimelineIndex::open(dir.index_db(), true);
    if (auto exe = index->meta("exe"); exe && !follow_) exe_ = *exe;
  } catch (const TraceError&) {
  }
}

void ReplayTimeline::maybe_snapshot(bool force) {
  if (!snapshots_ || !s_ || exited_ || pos_.end || !pos_.path.empty() || !s_->has_current() ||
      !s_->can_save())
    return;
  if (snaps_.count(pos_.event)) return;
  uint64_t now = mono_ns();
  if (!force && now - last_snap_ns_ < kSnapshotEveryNs) return;
  Task& t = s_->task();
  bps_.sync(t, {});  // the copy must not carry int3s
  MemSnapshot m;
  m.regs = t.regs();
  m.xstate = t.xstate();
  m.state = s_->save_state();
  try {
    m.copy = std::make_unique<ProcessSnapshot>(t);
  } catch (const Error&) {
    snapshots_ = false;  // going back still works, from checkpoints
    return;
  }
  last_snap_ns_ = mono_ns();
  snaps_[pos_.event] = std::move(m);
  if (snaps_.size() > kMaxSnapshots) snaps_.erase(std::next(snaps_.begin()));  // keep the start
}

void ReplayTimeline::resume_snapshot(MemSnapshot& m) {
  ProcessSnapshot fresh(m.copy->task());
  std::unique_ptr<Task> t = fresh.release();
  t->set_regs(m.regs);
  t->set_xstate(m.xstate);
  s_->set_quiet_through(furthest_);
  s_->adopt(std::move(t), m.state);
  bps_.forget();
  drs_.forget();
  exited_ = false;
  pos_ = Position{m.state.seq, {}, false};
  point_event_ = UINT64_MAX;
}

void ReplayTimeline::restart(uint64_t event) {
  if (s_ && !snaps_.empty()) {
    // The nearest start: an in-memory snapshot, or a checkpoint if one is later.
    auto it = snaps_.upper_bound(event);
    if (it != snaps_.begin()) {
      --it;
      uint64_t ckpt = 0;
      if (TimelineIndex* index = s_->index())
        for (const CheckpointRow& c : index->checkpoints())
          if (c.seq <= event) ckpt = std::max(ckpt, c.seq);
      if (it->first >= ckpt) {
        resume_snapshot(it->second);
        return;
      }
    }
  }
  s_.reset();  // kills the old process
  ReplayOptions o = base_;
  o.to = event ? std::optional<uint64_t>(event) : std::nullopt;
  o.progress = false;
  o.quiet_through = furthest_;
  s_ = std::make_unique<ReplaySession>(o);
  s_->set_caller_runs_points(true);
  s_->begin();
  point_event_ = UINT64_MAX;
  bps_.forget();
  drs_.forget();
  exited_ = false;
  recorded_pid_ = follow_ ? follow_ : s_->launch().pid;
  pos_ = Position{s_->last_event(), {}, false};
  if (s_->last_event() == 0) {
    // Launched from the start: the process is still ckrr's launcher until the first exec,
    // a short way that Ctrl-C does not cut (there is no position before it to go back to).
    bool ignoring = ignore_interrupt_;
    ignore_interrupt_ = true;
    while (s_->exec_count() == 0) {
      Outcome out = advance(false, {});
      if (out.kind == Outcome::Kind::Exited || out.kind == Outcome::Kind::End) {
        ignore_interrupt_ = ignoring;
        throw Error("the recorded program ended before its first exec");
      }
    }
    ignore_interrupt_ = ignoring;
    if (!follow_) start_event_ = s_->last_event();
  }
  maybe_snapshot(true);  // the next hop back here starts from memory, not from disk
}

std::vector<DebugSlot> ReplayTimeline::slots_for(const BreakSet& set) {
  std::vector<DebugSlot> slots;
  if (!plan_debug_slots(set.hw, slots)) throw Error("too many hardware watchpoints");
  return slots;
}

bool ReplayTimeline::point_fired(Task& t) {
  if (point_watch_ < 0) return false;
  // DR6: a debug register fired (the point's instruction breakpoint, before its instruction).
  long dr6 = ptrace(PTRACE_PEEKUSER, t.tid(), offsetof(struct user, u_debugreg) + 6 * sizeof(long),
                    nullptr);
  return dr6 != -1 && (dr6 & 0xf) != 0;
}

ReplayTimeline::Outcome ReplayTimeline::took_event() {
  drs_.forget();
  pos_ = Position{s_->last_event(), {}, false};
  furthest_ = std::max(furthest_, pos_.event);
  return Outcome{Outcome::Kind::Event};
}

std::optional<ReplayTimeline::Outcome> ReplayTimeline::settle() {
  if (exited_) return Outcome{Outcome::Kind::Exited};
  if (pos_.end) return Outcome{Outcome::Kind::End};
  if (!pos_.path.empty()) return std::nullopt;  // inside a stretch: its thread runs on
  uint64_t before = s_->last_event();
  bool run = s_->prepare_next();
  if (s_->gone()) {
    exited_ = true;
    exit_status_ = 0;
    return Outcome{Outcome::Kind::Exited};
  }
  if (run) return std::nullopt;
  if (s_->last_event() == before) {
    pos_.end = true;  // the log ends without the program's exit
    return Outcome{Outcome::Kind::End};
  }
  // The session ran a thread itself (a preemption point) or programmed debug registers.
  drs_.forget();
  pos_ = Position{s_->last_event(), {}, false};
  furthest_ = std::max(furthest_, pos_.event);
  return Outcome{Outcome::Kind::Event};
}

Task* ReplayTimeline::runner_task() {
  // At an event boundary the next event's thread (a position with a path is always followed
  // by an event its thread runs to, so this plays nothing there).
  if (settle()) return nullptr;
  return s_->has_current() ? &s_->task() : nullptr;
}

bool ReplayTimeline::runner_is_followed() {
  return s_->has_current() && s_->current_pid() == recorded_pid_;
}

ReplayTimeline::Outcome ReplayTimeline::advance(bool step, const BreakSet& want) {
  for (;;) {
    if (auto o = settle()) return *o;
    Task& t = s_->task();
    // Another process's thread runs with nothing armed: the int3s live in the followed
    // process's memory only.
    const bool followed = runner_is_followed();
    static const BreakSet none;
    BreakSet set = followed ? want : none;
    if (point_event_ != pos_.event) {
      point_event_ = pos_.event;
      point_hits_ = 0;
    }
    // A stretch that ends at a preemption point (no syscall) is run here too, so that gdb's
    // breakpoints work in it: an instruction breakpoint at the point's address counts the
    // arrivals, the session says which one is the recorded point.
    point_watch_ = -1;
    if (std::optional<uint64_t> rip = s_->point_rip()) {
      if (point_hits_ == 0 && s_->reached_point(0)) return took_event();
      set.hw.push_back({*rip, 1, gdb::WatchKind::Write, true});
      std::vector<DebugSlot> fit;
      if (!plan_debug_slots(set.hw, fit)) {
        s_->play_point();  // all debug registers taken: unwatched, as a plain replay does
        return took_event();
      }
      point_watch_ = static_cast<int>(set.hw.size()) - 1;
    }
    // Right after an event the process sits in a syscall (or signal) stop and has not run.
    bool at_event = pos_.path.empty() && point_hits_ == 0;
    int sig = s_->held() ? s_->pending_signal() : 0;
    s_->release();
    uint64_t pc0 = t.regs().rip;
    std::vector<DebugSlot> slots = slots_for(set);
    drs_.apply(t.tid(), slots);
    if (step) {
      if (followed) bps_.sync(t, {});  // a step needs no int3; landing on one is checked by address
      t.single_step(sig);
      TaskStop st = t.wait();
      if (at_event && st.kind == TaskStop::Kind::Signal && st.sig == SIGTRAP &&
          t.regs().rip == pc0 && !point_fired(t)) {
        // Stepping out of a syscall stop: the kernel reports the syscall's return as a step
        // before any instruction ran. Step again so a step always executes one instruction.
        drs_.take_status(t.tid());
        t.single_step(0);
        st = t.wait();
      }
      Outcome out = classify(st, true, set);
      if (out.kind == Outcome::Kind::Step) pos_.add_step();
      if (out.kind == Outcome::Kind::Again) continue;
      return out;
    }
    if (followed && !at_event && set.sw.count(pc0)) {
      // Stopped on one of the set's breakpoints: step off it before arming it again.
      bps_.sync(t, {});
      t.single_step(sig);
      sig = 0;
      TaskStop st = t.wait();
      Outcome out = classify(st, true, set);
      if (out.kind == Outcome::Kind::Step) {
        if (out.sw_hit || out.watch >= 0) {
          out.kind = Outcome::Kind::Hit;
          pos_.add_continue(set);
          return out;
        }
      } else if (out.kind == Outcome::Kind::Again) {
        continue;  // not an event: go on
      } else {
        return out;
      }
    }
    if (followed) bps_.sync(t, set.sw);
    t.cont(sig);
    running_.store(true);
    std::optional<TaskStop> st = t.wait_unless([this] { return interrupted(); });
    running_.store(false);
    if (!st) return {Outcome::Kind::Interrupted};
    Outcome out = classify(*st, false, set);
    if (out.kind == Outcome::Kind::Hit) pos_.add_continue(set);
    if (out.kind == Outcome::Kind::Again) continue;
    return out;
  }
}

ReplayTimeline::Outcome ReplayTimeline::classify(const TaskStop& st, bool step,
                                                 const BreakSet& set) {
  Task& t = s_->task();
  Outcome out;
  if (st.kind == TaskStop::Kind::Signal && st.sig == SIGTRAP) {
    DebugRegisters::Status ds = drs_.take_status(t.tid());
    std::vector<DebugSlot> slots = slots_for(set);
    for (size_t i = 0; i < slots.size(); ++i)
      if (ds.slots & (1u << i)) {
        out.watch = static_cast<int>(slots[i].watch);
        break;
      }
    if (point_watch_ >= 0 && out.watch == point_watch_) {
      // An arrival at the preemption point's address, before its instruction runs (the
      // kernel's RF lets the next resume execute it).
      if (s_->reached_point(++point_hits_)) return took_event();
      out.kind = Outcome::Kind::Again;
      return out;
    }
    Registers r = t.regs();
    if (!step && bps_.inserted(r.rip - 1) && set.sw.count(r.rip - 1)) {
      // int3 leaves pc after itself; the stop is at the breakpoint's address.
      r.rip -= 1;
      t.set_regs(r);
      out.kind = Outcome::Kind::Hit;
      out.sw_hit = true;
      return out;
    }
    if (!step && out.watch >= 0) {
      out.kind = Outcome::Kind::Hit;
      return out;
    }
    // A step over a syscall that seccomp lets through ends with the kernel's syscall-exit step
    // report (TRAP_BRKPT, no DR6.BS); only an int3 in the app gives SI_KERNEL.
    if (step && (ds.single_step || out.watch >= 0 || t.siginfo().si_code != SI_KERNEL)) {
      out.kind = Outcome::Kind::Step;
      // Landing on a breakpoint of the set is arriving there (an instruction breakpoint
      // would fire only when the next resume executes it).
      out.sw_hit = set.sw.count(r.rip) > 0 ||
                   std::any_of(set.hw.begin(), set.hw.end(),
                               [&](const HwWatch& w) { return w.exec && w.addr == r.rip; });
      return out;
    }
    out.watch = -1;
  }
  bool exec_here = false;
  if (st.kind == TaskStop::Kind::Seccomp) {
    long nr = static_cast<long>(t.regs().orig_rax);
    const bool followed = runner_is_followed();
    if (followed &&
        (nr == SYS_exit_group || (nr == SYS_exit && s_->thread_ids(recorded_pid_).size() == 1))) {
      // Leave the exit unreplayed: the process stays inspectable, and gdb can go back.
      pos_.end = true;
      out.kind = Outcome::Kind::End;
      return out;
    }
    // A new process must not inherit the int3s (a vfork child even shares them).
    if (followed && (nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork))
      bps_.sync(t, {});
    exec_here = followed && (nr == SYS_execve || nr == SYS_execveat);
  }
  uint64_t before = s_->last_event();
  uint64_t execs = s_->exec_count();
  std::optional<int> status = s_->handle_stop(st);
  if (exec_here && s_->exec_count() != execs) {
    // exec replaced the followed address space and cleared the debug registers.
    bps_.forget();
    drs_.forget();
  }
  if (status || s_->gone()) {
    exited_ = true;
    exit_status_ = st.raw_status;
    out.kind = Outcome::Kind::Exited;
    return out;
  }
  out.kind = s_->last_event() == before ? Outcome::Kind::Again : Outcome::Kind::Event;
  if (out.kind == Outcome::Kind::Again) return out;
  pos_ = Position{s_->last_event(), {}, false};
  furthest_ = std::max(furthest_, pos_.event);
  // Threads come and go (a real tid may be reused): program debug registers afresh.
  drs_.forget();
  return out;
}

bool ReplayTimeline::interrupted() const {
  return !ignore_interrupt_ && interrupt_flag_ && interrupt_flag_->load(std::memory_order_acquire);
}

void ReplayTimeline::interrupt() {
  // Called from the socket reader thread. A process running between two events cannot be
  // stopped at a place a path could name; wake the tracer instead, which then puts back the
  // last position the run went through.
  if (running_.load()) pthread_kill(tracer_thread_, SIGURG);
}

void ReplayTimeline::recover_from_interrupt() {
  Position p = pos_;
  p.end = false;
  ignore_interrupt_ = true;
  try {
    go_to(p, nullptr);
  } catch (...) {
    ignore_interrupt_ = false;
    throw;
  }
  ignore_interrupt_ = false;
}

void ReplayTimeline::go_to(const Position& p, Collector* c) {
  restart(p.event);
  forward_to(p, c);
}

void ReplayTimeline::note(Collector* c, const Outcome& o, const BreakSet& u) {
  if (!c) return;
  c->last = pos_;
  c->reason = hit_reason(o, u);
}

void ReplayTimeline::forward_to(const Position& p, Collector* c) {
  BreakSet extra = c ? c->set : BreakSet{};
  while (pos_.event < p.event) {
    if (interrupted()) throw InterruptedRun{};
    Outcome o = advance(false, extra);
    if (o.kind == Outcome::Kind::Interrupted) throw InterruptedRun{};
    if (o.kind == Outcome::Kind::Hit) note(c, o, extra);
    if (o.kind == Outcome::Kind::Event) maybe_snapshot();
    if (o.kind == Outcome::Kind::End || o.kind == Outcome::Kind::Exited) {
      if (p.event >= s_->total_events() || p.end) return;  // asked for the end
      throw Error("event " + std::to_string(p.event) + " is past the end of the replay");
    }
  }
  if (pos_.event != p.event || !pos_.path.empty())
    throw Error("replay passed " + p.describe() + " without stopping there");
  for (size_t i = 0; i < p.path.size(); ++i) {
    const PathAction& a = p.path[i];
    bool last_action = i + 1 == p.path.size() && !p.end;
    if (a.kind == PathAction::Kind::Step) {
      for (uint64_t k = 1; k <= a.count; ++k) {
        Outcome o = advance(true, extra);
        if (o.kind != Outcome::Kind::Step)
          throw Error("replay to " + p.describe() + ": a step met an event or the end");
        if ((o.sw_hit || o.watch >= 0) && !(last_action && k == a.count)) note(c, o, extra);
      }
      continue;
    }
    BreakSet u = a.set.unite(extra);
    uint64_t left = a.count;
    while (left > 0) {
      if (interrupted()) throw InterruptedRun{};
      Outcome o = advance(false, u);
      if (o.kind == Outcome::Kind::Interrupted) throw InterruptedRun{};
      if (o.kind != Outcome::Kind::Hit)
        throw Error("replay to " + p.describe() + ": did not meet the same breakpoint stops");
      uint64_t pc = s_->task().regs().rip;
      auto has = [&](const BreakSet& s) {
        if (o.sw_hit && s.sw.count(pc)) return true;
        return o.watch >= 0 && std::find(s.hw.begin(), s.hw.end(), u.hw[o.watch]) != s.hw.end();
      };
      bool mine = has(a.set);
      if (mine) --left;
      if (has(extra) && !(last_action && left == 0 && mine)) note(c, o, u);
    }
  }
  if (p.end) {
    for (;;) {
      if (interrupted()) throw InterruptedRun{};
      Outcome o = advance(false, extra);
      if (o.kind == Outcome::Kind::Interrupted) throw InterruptedRun{};
      if (o.kind == Outcome::Kind::End || o.kind == Outcome::Kind::Exited) break;
      if (o.kind == Outcome::Kind::Hit) note(c, o, extra);
      if (o.kind == Outcome::Kind::Event) throw Error("replay to the end: an event on the way");
    }
  }
  pos_ = p;
}

pid_t ReplayTimeline::runner_after(uint64_t event) {
  if (TimelineIndex* index = s_->index())
    if (auto row = index->event(event + 1)) return row->tid;
  return 0;
}

uint64_t ReplayTimeline::last_run_event(pid_t tid, uint64_t n) {
  TimelineIndex* index = s_->index();
  if (!index) return n;  // (a crashed recorder's trace: as if one thread)
  EventQuery q;
  q.to = n;
  q.tid = tid;
  std::vector<EventRow> rows = index->events(q);
  for (size_t i = rows.size(); i-- > 0;) {
    if (rows[i].kind == EventKind::Exit) continue;
    // The end of a call it waited in: it ran no instruction since its `enter`.
    if (i > 0 && rows[i - 1].kind == EventKind::Enter) continue;
    return rows[i].seq;
  }
  return 0;
}

std::optional<Position> ReplayTimeline::before(Position p, pid_t tid) {
  // The stretch after p.event is run by one thread (the next event's). For another thread,
  // the previous instruction is the last one of its own latest stretch: the one that made its
  // latest event it ran to (the others ran since, it did not).
  if (!(p.path.empty() && !p.end) && runner_after(p.event) && runner_after(p.event) != tid)
    p = Position{p.event, {}, false};
  if (p.path.empty() && !p.end) {
    std::optional<uint64_t> here_pc;
    if (p == pos_ && !exited_)
      if (Task* t = task(tid)) here_pc = t->regs().rip;
    uint64_t m_event = last_run_event(tid, p.event);
    if (m_event == 0 || m_event <= start_event_) return std::nullopt;
    // The instruction before an event boundary is the one that made the event (the syscall):
    // step through the previous stretch and stop one short of the event.
    Position q{m_event - 1, {}, false};
    go_to(q, nullptr);
    uint64_t m = 0;
    Task* runner = runner_task();
    uint64_t pc_last = runner ? runner->regs().rip : 0;
    for (;;) {
      if (interrupted()) throw InterruptedRun{};
      Outcome o = advance(true, {});
      ++m;
      if (o.kind == Outcome::Kind::Event) break;
      if (o.kind != Outcome::Kind::Step)
        throw Error("stepping to event " + std::to_string(m_event) + " failed");
      pc_last = s_->task().regs().rip;
    }
    // A fault's event leaves pc on the faulting instruction, where the step before it stood
    // too: that would look like no move at all, so go one more back.
    uint64_t steps = m - 1;
    if (steps >= 1 && here_pc && pc_last == *here_pc) --steps;
    for (uint64_t i = 0; i < steps; ++i) q.add_step();
    return q;
  }
  if (!p.end && p.path.back().kind == PathAction::Kind::Step) return p.drop_last();
  // The last unit is a continue stop (or the exit): step from the stop before it.
  Position prev = p.end ? p : p.drop_last();
  prev.end = false;
  BreakSet set = p.end ? BreakSet{} : p.path.back().set;
  go_to(prev, nullptr);
  Task* runner = runner_task();
  if (!p.end && prev.path.empty() && runner && set.sw.count(runner->regs().rip))
    return before(prev, tid);  // stopped on an int3 right at the event: the same instant as prev
  if (!p.end)
    if (auto q = before_by_candidates(p, prev, set)) return q;
  go_to(prev, nullptr);
  uint64_t m = 0;
  for (;;) {
    if (interrupted()) throw InterruptedRun{};
    Outcome o = advance(true, set);
    ++m;
    if (p.end && o.kind == Outcome::Kind::End) break;
    if (o.kind != Outcome::Kind::Step) throw Error("stepping back to " + p.describe() + " failed");
    if (!p.end && (o.sw_hit || o.watch >= 0)) break;
  }
  Position q = prev;
  for (uint64_t i = 1; i < m; ++i) q.add_step();
  return q;
}

std::optional<Position> ReplayTimeline::before_by_candidates(const Position& p,
                                                             const Position& prev,
                                                             const BreakSet& set) {
  size_t free_slots = 4 - std::min<size_t>(4, slots_for(set).size());
  if (free_slots == 0) return std::nullopt;
  go_to(p, nullptr);
  Task& t = s_->task();
  Registers r = t.regs();
  std::vector<uint64_t> cands;
  auto add = [&](uint64_t a) {
    if (std::find(cands.begin(), cands.end(), a) == cands.end()) cands.push_back(a);
  };
  // At a function's entry [rsp] is the return address, right after the call.
  uint64_t ret = 0;
  uint8_t b[8];
  if (t.try_read(r.rsp, &ret, 8) && ret > 8 && t.try_read(ret - 8, b, 8)) {
    auto at = [&](int k) { return b[8 - k]; };  // the byte at ret - k
    if (at(5) == 0xe8) add(ret - 5);            // call rel32
    for (int k = 2; k <= 7; ++k)
      if (at(k) == 0xff && ((at(k - 1) >> 3) & 7) == 2) {           // call r/m64 (FF /2)
        if (k < 8 && (at(k + 1) & 0xf0) == 0x40) add(ret - k - 1);  // with a REX prefix
        add(ret - k);
      }
  }
  for (uint64_t k = 1; k <= 15; ++k) add(r.rip - k);  // the instruction falling through to p
  for (size_t first = 0; first < cands.size(); first += free_slots) {
    go_to(prev, nullptr);
    BreakSet cs;
    for (size_t i = first; i < std::min(cands.size(), first + free_slots); ++i)
      cs.hw.push_back({cands[i], 1, gdb::WatchKind::Write, true});
    BreakSet u = set.unite(cs);
    for (;;) {
      if (interrupted()) throw InterruptedRun{};
      Outcome o = advance(false, u);
      if (o.kind != Outcome::Kind::Hit) break;
      // p's own set may hold instruction breakpoints too (p found by an earlier search).
      bool in_set =
          o.watch >= 0 && std::find(set.hw.begin(), set.hw.end(), u.hw[o.watch]) != set.hw.end();
      bool reached_p = (o.sw_hit && set.sw.count(s_->task().regs().rip)) || in_set;
      if (reached_p) break;  // none of these candidates comes right before p
      if (o.watch < 0) continue;
      Position q = pos_;
      Outcome step = advance(true, set);
      if (step.kind != Outcome::Kind::Step) break;
      if (step.sw_hit || step.watch >= 0) return q;  // one step from q is p's stop
    }
  }
  return std::nullopt;
}

TimelineStop ReplayTimeline::hit_reason(const Outcome& o, const BreakSet& set) {
  if (o.watch >= 0 && static_cast<size_t>(o.watch) < set.hw.size())
    return TimelineStop::watchpoint(s_->current_tid(), set.hw[o.watch]);
  return TimelineStop::with(K::SwBreakpoint, s_->current_tid());
}

TimelineStop ReplayTimeline::exited_reason() {
  if (WIFSIGNALED(exit_status_)) return TimelineStop::with(K::Killed, 0, WTERMSIG(exit_status_));
  return TimelineStop::exited(WEXITSTATUS(exit_status_));
}

TimelineStop ReplayTimeline::reverse_continue() {
  if (exited_) throw Error("the process has exited; 'monitor seek' to go back into it");
  Collector c;
  c.set = user_;
  Position upto = pos_;
  uint64_t limit = pos_.event;
  for (;;) {
    restart(limit);
    uint64_t from = pos_.event;
    forward_to(upto, &c);
    if (c.last) break;
    if (from <= start_event_) {
      go_to(Position{start_event_, {}, false}, nullptr);
      return TimelineStop::with(K::ReplayBegin, pid());
    }
    // Nothing between that checkpoint and here: search the stretch before it.
    upto = Position{from, {}, false};
    limit = from - 1;
  }
  Position hit = *c.last;
  TimelineStop r = c.reason;
  if (r.kind == K::Watchpoint) {
    // Going backward, gdb expects to stop before the write (the instruction that did it).
    if (auto b = before(hit, r.thread)) hit = *b;
  }
  go_to(hit, nullptr);
  return r;
}

TimelineStop ReplayTimeline::reverse_step(pid_t tid) {
  if (exited_) throw Error("the process has exited; 'monitor seek' to go back into it");
  std::optional<Position> b = before(pos_, tid);
  if (!b) {
    if (!(pos_ == Position{start_event_, {}, false}))
      go_to(Position{start_event_, {}, false}, nullptr);
    return TimelineStop::with(K::ReplayBegin, pid());
  }
  go_to(*b, nullptr);
  return TimelineStop::with(K::Step, tid);
}

TimelineStop ReplayTimeline::backward(bool step, pid_t tid) {
  try {
    return step ? reverse_step(tid) : reverse_continue();
  } catch (const InterruptedRun&) {
    // We stopped somewhere before where we were: pos_, the last position the search went
    // through (put back if the process was cut short between two of them).
    recover_from_interrupt();
    return TimelineStop::interrupted(cur_thread_);
  }
}

TimelineStop ReplayTimeline::reported(TimelineStop r) {
  if (r.thread > 0 && task(r.thread)) cur_thread_ = r.thread;
  if (!task(cur_thread_)) cur_thread_ = thread_at(pos_.event);
  if (r.thread <= 0 || !task(r.thread)) r.thread = cur_thread_;
  return r;
}

pid_t ReplayTimeline::thread_at(uint64_t event) {
  if (TimelineIndex* index = s_ ? s_->index() : nullptr)
    if (auto row = index->event(event))
      if (task(row->tid)) return row->tid;
  std::vector<pid_t> ids = s_ ? s_->thread_ids(recorded_pid_) : std::vector<pid_t>{};
  if (std::find(ids.begin(), ids.end(), recorded_pid_) != ids.end() || ids.empty())
    return recorded_pid_;
  return ids.front();
}

TimelineStop ReplayTimeline::step_forward(pid_t tid) {
  return reported(forward(true, tid ? tid : cur_thread_));
}

TimelineStop ReplayTimeline::continue_forward() {
  return reported(forward(false, cur_thread_));
}

TimelineStop ReplayTimeline::step_backward(pid_t tid) {
  return reported(backward(true, tid ? tid : cur_thread_));
}

TimelineStop ReplayTimeline::continue_backward() {
  return reported(backward(false, cur_thread_));
}

TimelineStop ReplayTimeline::forward(bool step, pid_t tid) {
  if (exited_) return exited_reason();
  // A recorded signal about to be delivered (a fault, a kill) stops the program first, as it
  // would under gdb natively; the position is right after the signal's event, so one can go
  // back from a crash. gdb's resume signal is ignored: the recorded one is delivered.
  auto signal_stop = [this]() -> std::optional<TimelineStop> {
    // (Another process's signals are its own business: it is not the one debugged.)
    if (s_->held() && s_->pending_signal() && gdb_stops_for(s_->pending_signal()) &&
        !reported_signal_ && runner_is_followed())
      return TimelineStop::with(K::Signal, s_->current_tid(), s_->pending_signal());
    return std::nullopt;
  };
  reported_signal_ = false;
  if (step) {
    // Threads run one at a time, in the recorded order: the others run (breakpoints armed)
    // until it is this thread's turn.
    while (!task(tid) || !settled_on(tid)) {
      if (!task(tid)) return TimelineStop::with(K::ReplayEnd, pid());
      if (interrupted()) return TimelineStop::interrupted(cur_thread_);
      Outcome o = advance(false, user_);
      if (o.kind == Outcome::Kind::Hit) return hit_reason(o, user_);
      if (o.kind == Outcome::Kind::End) return TimelineStop::with(K::ReplayEnd, s_->current_tid());
      if (o.kind == Outcome::Kind::Exited) return exited_reason();
      if (o.kind == Outcome::Kind::Interrupted) {
        recover_from_interrupt();
        return TimelineStop::interrupted(cur_thread_);
      }
      if (auto r = signal_stop()) {
        reported_signal_ = true;
        return *r;
      }
    }
    Outcome o = advance(true, user_);
    if (o.kind == Outcome::Kind::Event)
      if (auto r = signal_stop()) {
        reported_signal_ = true;
        return *r;
      }
    switch (o.kind) {
      case Outcome::Kind::End:
        return TimelineStop::with(K::ReplayEnd, tid);
      case Outcome::Kind::Exited:
        return exited_reason();
      default:
        if (o.watch >= 0) return hit_reason(o, user_);
        return TimelineStop::with(K::Step, tid);
    }
  }
  for (;;) {
    if (interrupted()) return TimelineStop::interrupted(cur_thread_);
    Outcome o = advance(false, user_);
    switch (o.kind) {
      case Outcome::Kind::Interrupted:
        recover_from_interrupt();
        return TimelineStop::interrupted(cur_thread_);
      case Outcome::Kind::Hit:
        return hit_reason(o, user_);
      case Outcome::Kind::End:
        return TimelineStop::with(K::ReplayEnd, s_->current_tid());
      case Outcome::Kind::Exited:
        return exited_reason();
      default:
        if (auto r = signal_stop()) {
          reported_signal_ = true;
          return *r;
        }
        maybe_snapshot();
        break;
    }
  }
}

bool ReplayTimeline::settled_on(pid_t tid) {
  // Inside a stretch its runner is the session's current thread; at an event boundary the
  // events that run no app code are played first to find out who runs next.
  if (pos_.path.empty() && !pos_.end && !exited_) {
    if (auto o = settle()) {
      if (o->kind != Outcome::Kind::Event) return true;  // the end: step reports it
      return false;
    }
  }
  return s_->has_current() && s_->current_tid() == tid;
}

std::vector<TimelineThread> ReplayTimeline::threads() {
  if (exited_ || !s_) return {};
  const std::map<pid_t, std::string>* recorded = nullptr;
  if (names_) recorded = &names_->at(pos_.event);
  std::vector<TimelineThread> out;
  for (pid_t tid : s_->thread_ids(recorded_pid_)) {
    TimelineThread th{tid, ""};
    if (recorded && recorded->count(tid)) {
      th.name = recorded->at(tid);
    } else if (Task* t = s_->task_of_thread(tid)) {
      std::ifstream comm("/proc/" + std::to_string(t->tid()) + "/comm");
      std::getline(comm, th.name);
    }
    out.push_back(th);
  }
  // The process's first thread first, as gdb numbers them by first appearance.
  std::stable_partition(out.begin(), out.end(),
                        [&](const TimelineThread& t) { return t.tid == recorded_pid_; });
  return out;
}

Task* ReplayTimeline::task(pid_t tid) {
  if (exited_ || !s_ || tid <= 0) return nullptr;
  std::vector<pid_t> ids = s_->thread_ids(recorded_pid_);
  if (std::find(ids.begin(), ids.end(), tid) == ids.end()) return nullptr;
  return s_->task_of_thread(tid);
}

Task* ReplayTimeline::any_task() {
  if (Task* t = task(cur_thread_)) return t;
  if (Task* t = task(recorded_pid_)) return t;
  if (exited_ || !s_) return nullptr;
  std::vector<pid_t> ids = s_->thread_ids(recorded_pid_);
  return ids.empty() ? nullptr : s_->task_of_thread(ids.front());
}

size_t ReplayTimeline::read_memory(uint64_t addr, void* out, size_t len) {
  Task* t = any_task();
  if (!t) return 0;
  auto* p = static_cast<uint8_t*>(out);
  size_t done = 0;
  while (done < len) {
    uint64_t a = addr + done;
    size_t chunk = std::min<size_t>(len - done, 4096 - (a & 4095));
    if (!t->try_read(a, p + done, chunk)) break;
    done += chunk;
  }
  bps_.hide(addr, p, done);
  return done;
}

bool ReplayTimeline::add_breakpoint(uint64_t addr) {
  uint8_t b;
  Task* t = any_task();
  if (!t || !t->try_read(addr, &b, 1)) return false;
  user_.sw.insert(addr);
  return true;
}

void ReplayTimeline::remove_breakpoint(uint64_t addr) {
  user_.sw.erase(addr);
}

bool ReplayTimeline::add_watch(const HwWatch& w) {
  if (std::find(user_.hw.begin(), user_.hw.end(), w) != user_.hw.end()) return true;
  BreakSet next = user_;
  next.hw.push_back(w);
  std::vector<DebugSlot> slots;
  if (w.len == 0 || !plan_debug_slots(next.hw, slots)) return false;
  user_ = next;
  return true;
}

bool ReplayTimeline::remove_watch(uint64_t addr, size_t len) {
  auto it = std::find_if(user_.hw.begin(), user_.hw.end(),
                         [&](const HwWatch& w) { return w.addr == addr && w.len == len; });
  if (it == user_.hw.end()) return false;
  user_.hw.erase(it);
  return true;
}

bool ReplayTimeline::seek(uint64_t n) {
  try {
    go_to(Position{n, {}, false}, nullptr);
  } catch (const InterruptedRun&) {
    cur_thread_ = thread_at(pos_.event);
    return false;
  }
  cur_thread_ = thread_at(n);
  return true;
}

std::vector<uint64_t> ReplayTimeline::snapshot_events() const {
  std::vector<uint64_t> out;
  for (const auto& [event, snap] : snaps_) out.push_back(event);
  return out;
}

bool ReplayTimeline::snapshot_here() {
  if (!pos_.path.empty() || pos_.end) return false;
  maybe_snapshot(true);
  return snaps_.count(pos_.event) > 0;
}

void ReplayTimeline::kill() {
  s_.reset();
  exited_ = true;
}

}  // namespace ckrr
