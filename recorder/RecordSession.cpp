#include "recorder/RecordSession.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "checkpoint/LiveKernelState.h"
#include "core/CloneCall.h"
#include "core/CpuFeatures.h"
#include "core/Error.h"
#include "core/ExecBreakpoint.h"
#include "core/ExecSetup.h"
#include "core/FileIdentity.h"
#include "core/MemoryMap.h"
#include "core/OwnTscTrap.h"
#include "core/ProcessLauncher.h"
#include "core/ScratchPage.h"
#include "core/SeccompFilter.h"
#include "core/SignalFrame.h"
#include "core/SyscallNames.h"
#include "core/SyscallRegisters.h"
#include "core/ThreadedExec.h"
#include "plugins/BlockingSyscalls.h"
#include "plugins/ExternalPlugin.h"
#include "plugins/SignalClass.h"
#include "plugins/SyscallEffects.h"
#include "plugins/TraceeEffects.h"
#include "plugins/WriteCalls.h"
#include "recorder/JobStops.h"
#include "recorder/ProcessRestart.h"
#include "recorder/RecorderSignals.h"
#include "recorder/TreeLinks.h"
#include "recorder/WaitInterruption.h"
#include "storage/LaunchInfo.h"

extern char** environ;

namespace ckrr {

namespace {

volatile sig_atomic_t g_checkpoint_requested = 0;

std::string interpreter_of(const std::string& exe) {
  int fd = open(exe.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  Elf64_Ehdr eh;
  std::string out;
  if (pread(fd, &eh, sizeof eh, 0) == sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0) {
    for (int i = 0; i < eh.e_phnum; ++i) {
      Elf64_Phdr ph;
      if (pread(fd, &ph, sizeof ph, eh.e_phoff + i * sizeof ph) != sizeof ph) break;
      if (ph.p_type == PT_INTERP && ph.p_filesz < 4096) {
        out.resize(ph.p_filesz);
        if (pread(fd, out.data(), ph.p_filesz, ph.p_offset) != static_cast<ssize_t>(ph.p_filesz))
          out.clear();
        while (!out.empty() && out.back() == '\0') out.pop_back();
      }
    }
  }
  close(fd);
  return out;
}

// Pending and not blocked: a signal the thread blocks waits in the kernel, where a checkpoint
// saves it (LiveKernelState), and cannot be delivered during the capture's injected calls.
bool has_pending_signals(pid_t tid) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  uint64_t pending = 0, blocked = 0;
  while (std::getline(status, line)) {
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0)
      pending |= std::stoull(line.substr(7), nullptr, 16);
    else if (line.rfind("SigBlk:", 0) == 0)
      blocked = std::stoull(line.substr(7), nullptr, 16);
  }
  return (pending & ~blocked) != 0;
}

// A signal the recorder itself raised with tgkill (an interrupt, a re-raised deferred one).
bool sent_by_us(const siginfo_t& si) {
  return si.si_code == SI_TKILL && si.si_pid == getpid();
}

// The first held-back signal of rt, raised again by the recorder (deliver_deferred).
bool is_reraised(const RecordedTask& rt, const siginfo_t& si, int sig) {
  return sent_by_us(si) && !rt.deferred.empty() && rt.deferred.front().si_signo == sig;
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty() &&
                 a.find_first_not_of(
                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") ==
                     std::string::npos;
    if (plain) {
      s += a;
    } else {
      s += '\'';
      for (char c : a) s += c == '\'' ? std::string("'\\''") : std::string(1, c);
      s += '\'';
    }
  }
  return s;
}

}  // namespace

RecordSession::RecordSession(RecordOptions opt)
    : opt_(std::move(opt)), registry_(PluginRegistry::with_builtin_plugins()) {}

RecordSession::~RecordSession() {
  if (!done_)
    for (auto& [tid, rt] : tasks_) kill(tid, SIGKILL);
}

uint64_t RecordSession::now_ns() const {
  return monotonic_ns() - start_ns_;
}

void RecordSession::note_mapped_file(const std::string& path, const std::string& stored,
                                     uint64_t size) {
  MappedFileRow row;
  row.path = path;
  row.stored = stored;
  row.size = size;
  row.first_seq = next_seq_;
  index_->add_mapped_file(row);
}

std::string RecordSession::stored_file_path(const std::string& stored) {
  return (trace_->dir() / stored).string();
}

void RecordSession::note_conservative(const std::string& what) {
  uint64_t& n = conservative_[what];
  // Written at once the first time (a killed recorder still says so), counts at the end.
  if (n++ == 0) index_->set_meta("conservative_calls", counts_text(conservative_));
}

void RecordSession::note_not_emulated(const std::string& what) {
  uint64_t& n = not_emulated_[what];
  if (n++ == 0) {
    index_->set_meta("not_emulated_calls", counts_text(not_emulated_));
    if (!opt_.quiet)
      std::cerr << "ckrr: the program's " << what
                << " is not emulated under ckrr record (it gets an error the kernel would not"
                   " give)\n";
  }
}

bool RecordSession::recorded_thread(pid_t rec_tid, ThreadView& out) {
  for (auto& [tid, rt] : tasks_) {
    if (rt.rec_tid != rec_tid) continue;
    out.task = rt.task.get();
    out.parent = processes_[rt.proc->recorded_pid].ppid;
    if (rt.state == RecordedTask::State::Starting) return true;  // not stopped yet
    if (rt.entered && !rt.completed) {
      // Waiting in the kernel, so not in a ptrace stop: its registers at the call's entry, if
      // they were kept (a call noticed blocking late has none).
      out.has_regs = !rt.entry_xstate.empty();
      out.regs = rt.entry_regs;
      out.xstate = rt.entry_xstate;
      return true;
    }
    out.has_regs = rt.task->try_regs(&out.regs);
    try {
      if (out.has_regs) out.xstate = rt.task->xstate();
    } catch (const TaskGone&) {  // killed meanwhile: its death is still to come
      out.has_regs = false;
    }
    return true;
  }
  return false;
}

std::string RecordSession::counts_text(const std::map<std::string, uint64_t>& counts) {
  std::string out;
  for (const auto& [what, n] : counts)
    out += (out.empty() ? "" : "; ") + what + " x" + std::to_string(n);
  return out;
}

void RecordSession::finish_skipped(Task&) {
  throw Error("internal: finish_skipped is a replay operation");
}

RecordedTask* RecordSession::main_task() {
  auto it = tasks_.find(main_tid_);
  return it == tasks_.end() ? nullptr : &it->second;
}

int RecordSession::run() {
  int err = 0;
  if (!opt_.restart_from) program_ = resolve_program(opt_.argv.at(0), &err);
  if (!opt_.restart_from && program_.empty()) {
    std::cerr << "ckrr: " << opt_.argv[0] << ": "
              << (err == EACCES ? "permission denied" : "command not found") << "\n";
    return err == EACCES ? 126 : 127;
  }
  try {
    start();
    loop();
  } catch (const std::exception& e) {
    if (failure_.empty()) failure_ = e.what();
    tick_.set_running(false, 0);
    if (!done_) {
      for (auto& [tid, rt] : tasks_) kill(tid, SIGKILL);
      for (auto& [tid, rt] : tasks_) {
        int st;
        while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR) {
        }
      }
      done_ = true;
    }
  }
  tick_.set_running(false, 0);
  try {
    if (log_) finish();
  } catch (const std::exception& e) {
    if (failure_.empty())
      failure_ = e.what();
    else
      failure_ += std::string("; then finishing the trace failed: ") + e.what();
  }
  if (!failure_.empty()) {
    std::cerr << "ckrr: recording stopped: " << failure_ << "\n";
    if (trace_)
      std::cerr << "ckrr: the trace in " << trace_->dir().string() << " keeps the " << next_seq_ - 1
                << " events before that point\n";
    return 125;
  }
  if (ended_by_signal_) return 128 + ended_by_signal_;
  return exit_code_;
}

RecordedTask& RecordSession::add_task(pid_t real_tid, pid_t tgid, pid_t rec_tid,
                                      std::shared_ptr<ProcessState> proc, const std::string& name) {
  RecordedTask& rt = tasks_[real_tid];
  rt.task = std::make_unique<Task>(real_tid, tgid);
  rt.proc = std::move(proc);
  rt.rec_tid = rec_tid;
  ThreadRecord& th = threads_[rec_tid];
  th.pid = rt.proc->recorded_pid;
  th.name = name;
  return rt;
}

void RecordSession::start() {
  std::filesystem::path dir = opt_.trace_dir;
  if (dir.empty())
    dir = TraceDirectory::default_location(opt_.argv.empty() ? "restarted" : opt_.argv[0]);
  trace_ = std::make_unique<TraceDirectory>(TraceDirectory::create(dir, opt_.force));
  index_ = TimelineIndex::create(trace_->index_db());
  log_ = std::make_unique<EventLogWriter>(trace_->events_log(), index_.get());
  store_ = std::make_unique<FileStore>(trace_->dir());

  // What the program would have inherited from the shell, before ckrr changes its own handlers.
  uint64_t ignored = 0, blocked = 0;
  current_signal_state(&ignored, &blocked);
  install_recorder_signal_handlers();  // SIGTERM..., kill -USR2 (a checkpoint), kill(0, sig)

  LaunchInfo li;
  if (opt_.restart_from) {
    try {
      start_restarted(li);
    } catch (const std::exception&) {
      // Refused or failed before the program ran: no trace left behind.
      log_.reset();
      index_.reset();
      store_.reset();
      std::error_code ec;
      std::filesystem::remove_all(trace_->dir(), ec);
      trace_.reset();
      throw;
    }
  } else {
    LaunchOptions lo;
    lo.path = program_;
    lo.argv = opt_.argv;
    for (char** e = environ; *e; ++e) lo.envp.push_back(*e);
    agent_ = AgentRecording(opt_.agent);
    agent_.prepare_env(lo.envp);
    lo.filter = build_seccomp_filter(registry_.allowed_syscalls());
    lo.cpu = pin_to_current_cpu();
    lo.ignored_signals = ignored;
    lo.blocked_signals = blocked;
    start_ns_ = monotonic_ns();
    pid_t pid = launch_traced(lo);
    auto proc = std::make_shared<ProcessState>();
    proc->recorded_pid = pid;
    proc->real_pid = pid;
    proc->reset_std_fds();
    main_tid_ = pid;
    add_task(pid, pid, pid, proc, std::filesystem::path(program_).filename().string());
    processes_[pid].ppid = getpid();
    processes_[pid].exe = program_;
    li.path = program_;
    li.argv = lo.argv;
    li.envp = lo.envp;
    li.cwd = std::filesystem::current_path().string();
    li.pid = pid;
    li.cpu = lo.cpu;
    li.ignored_signals = ignored;
    li.blocked_signals = blocked;
  }
  li.save(trace_->dir() / "launch");
  const pid_t pid = li.pid;
  index_->set_meta("command", shell_join(li.argv));
  index_->set_meta("program", program_);
  index_->set_meta("cwd", li.cwd);
  index_->set_meta("pid", std::to_string(pid));
  index_->set_meta("env_count", std::to_string(li.envp.size()));
  index_->set_meta("start_unix_ns",
                   std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()));
  index_->set_meta("complete", "0");
  index_->set_meta("recorder_pid", std::to_string(getpid()));
  index_->set_meta("cpu_features", cpu_features_text());  // replay elsewhere checks them
  if (!loaded_plugins().empty())  // replay, debug and restart load the same set
    index_->set_meta("plugins", plugins_meta_text(loaded_plugins()));
  checkpoints_ = std::make_unique<CheckpointWriter>(trace_->checkpoints_dir());
  publishing_ =
      std::make_unique<CheckpointPublishing>(*checkpoints_, *index_, opt_.checkpoint_share);
  next_checkpoint_ns_ = opt_.checkpoint_interval_ns;
  RecordedTask& rt = *main_task();
  rt.state = RecordedTask::State::Running;
  runner_ = rt.task->tid();
  if (opt_.restart_from) {
    // The new trace starts from this state, not from an exec: checkpoint it first (this also
    // resumes the process).
    index_->set_meta("starts_from_checkpoint", "1");
    CheckpointRequest others;
    if (!other_threads_checkpointable(rt, others, rt.rewound_call))
      throw Error("the restored threads cannot be checkpointed");
    take_checkpoint(rt, 0, false, std::move(others));
    return;
  }
  rt.task->cont();
}

void RecordSession::start_restarted(LaunchInfo& li) {
  RestartedProcess r = restart_from_checkpoint(*opt_.restart_from, opt_.restart_checkpoint);
  agent_ = AgentRecording(false);  // virtual ids: every call stops (ProcessRestart)
  start_ns_ = monotonic_ns();
  li = r.launch;  // the program, its environment and its (virtual) pid stay the recorded ones
  program_ = li.path;
  auto proc = std::make_shared<ProcessState>(r.proc);
  const pid_t real = r.task->tid();
  proc->real_pid = real;
  ids_ = r.ids;
  virtual_ppid_ = r.virtual_ppid;
  main_tid_ = real;
  const std::string name = std::filesystem::path(program_).filename().string();
  // Several threads: which recorded tid each is, and the call a waiting one was saved about to
  // make again (it makes it when it runs; the new trace's first checkpoint says so too).
  const std::vector<ThreadPlace> places = r.manifest.thread_places();
  auto adopt = [&](std::unique_ptr<Task> task, size_t i) -> RecordedTask& {
    const pid_t tid = task->tid();
    RecordedTask& o = tasks_[tid];
    o.task = std::move(task);
    o.proc = proc;
    o.rec_tid = i < places.size() ? static_cast<pid_t>(places[i].rec_tid) : proc->recorded_pid;
    o.rewound_call = i < places.size() ? places[i].call : -1;
    if (i < r.manifest.threads.size()) {
      const SavedThread& th = r.manifest.threads[i];
      o.clear_child_tid = th.clear_child_tid;
      o.altstack_sp = th.altstack_sp;
      o.altstack_size = th.altstack_size;
      o.altstack_flags = th.altstack_flags;
    }
    threads_[o.rec_tid] = {proc->recorded_pid, name};
    return o;
  };
  adopt(std::move(r.task), 0);
  for (size_t i = 0; i < r.threads.size(); ++i) {
    RecordedTask& o = adopt(std::move(r.threads[i]), i + 1);
    o.state = RecordedTask::State::Ready;  // stopped by the restore, where it was saved
    o.at_boundary = o.rewound_call < 0;
    o.last_regs = o.task->regs();
    ready_.push_back(o.task->tid());
  }
  processes_[proc->recorded_pid].ppid = virtual_ppid_;
  processes_[proc->recorded_pid].exe = program_;
  for (const auto& p : registry_.plugins())
    if (const std::vector<uint8_t>* b = r.manifest.blob(p->name())) p->restore_state(*b);
  index_->set_meta("restarted_from", std::filesystem::absolute(*opt_.restart_from).string());
  index_->set_meta("restarted_from_checkpoint", std::to_string(r.checkpoint));
}

void RecordSession::loop() {
  start_watchdog();
  trap_own_tsc();  // ptrace stops cost 2.5x less when both sides trap rdtsc (OwnTscTrap.h)
  while (!done_) {
    if (tasks_.empty()) {
      done_ = true;
      break;
    }
    if (signals_to_recorder_pending()) on_signals_to_recorder();
    publishing_->collect(false, now_ns());
    try {
      release_parked_writers();
      wake_app_traced();
      if (!runner_) schedule();
      while (!runner_ && wake_app_traced()) schedule();  // woken while scheduling
    } catch (const TaskGone& g) {
      on_vanished(g);
      continue;
    }
    bool need_tick = tasks_.size() > 1 || !job_stopped_.empty();
    if (!need_tick)
      for (auto& [tid, rt] : tasks_) need_tick = need_tick || !rt.deferred.empty();
    const bool fast_tick = need_tick || end_deadline_ns_ || sigint_deadline_ns_;
    // One thread: a slow tick lets a periodic checkpoint interrupt a wait (WaitInterruption.h).
    const bool slow_tick = tasks_.size() == 1 && opt_.checkpoint_interval_ns;
    tick_.set_running(fast_tick || slow_tick, fast_tick ? 1000000ull : slow_tick_ns());

    pid_t r;
    int status = 0;
    if (main_ended_ns_) end_busy_leftovers();
    if (!pending_stops_.empty()) {
      std::tie(r, status) = pending_stops_.front();
      pending_stops_.pop_front();
    } else {
      r = waitpid(-1, &status, __WALL);
      if (r < 0) {
        if (errno == ECHILD) {
          done_ = true;
          break;
        }
        if (errno != EINTR) throw Error(errno_text("waitpid", errno));
        if (signals_to_recorder_pending()) on_signals_to_recorder();
        if (orphans_stalled_.exchange(false)) end_stalled_orphans();
        if (sigint_deadline_ns_ && !ended_by_signal_ && now_ns() >= sigint_deadline_ns_)
          end_on_signal(SIGINT, sigint_sender_);
        if (end_deadline_ns_ && now_ns() >= end_deadline_ns_) {
          // Killed but not dead (an uninterruptible sleep): finish the trace without them.
          std::cerr << "ckrr: " << tasks_.size()
                    << " task(s) did not die within 1 s of SIGKILL; the trace ends here\n";
          done_ = true;
          break;
        }
        if (tasks_.size() == 1 && !g_checkpoint_requested && periodic_checkpoint_due()) {
          const RecordedTask& rt = tasks_.begin()->second;
          if (rt.state == RecordedTask::State::InSyscall && checkpoint_may_interrupt(rt.call) &&
              now_ns() >= rt.call_start_ns + slow_tick_ns())
            g_checkpoint_requested = 1;  // it waits: interrupt the call for it, as asked ones do
        }
        if (g_checkpoint_requested && tasks_.size() == 1) {
          RecordedTask& rt = tasks_.begin()->second;
          if (rt.state == RecordedTask::State::InSyscall && !rt.kicked && failure_.empty() &&
              !checkpoint_must_wait(rt, {})) {
            rt.kicked = true;  // make the blocked call return so the checkpoint can be taken
            syscall(SYS_tgkill, rt.task->tgid(), rt.task->tid(), SIGSTOP);
          }
        }
        try {
          if (TickTimer::take()) on_tick();
        } catch (const TaskGone& g) {
          on_vanished(g);
        }
        continue;
      }
    }
    auto it = tasks_.find(r);
    if (it == tasks_.end()) {
      early_stops_[r] = status;  // a new thread, before its parent's clone event
      continue;
    }
    try {
      dispatch(it->second, TaskStop::decode(r, status));
    } catch (const TaskGone& g) {
      on_vanished(g);
    }
  }
}

void RecordSession::on_vanished(const TaskGone& gone) {
  // Killed between its stop and our next ptrace call. Deaths a wait already consumed go back to
  // the main loop; the others come from waitpid. Until then the task is nobody's runner.
  for (auto& [tid, rt] : tasks_)
    if (std::optional<int> st = rt.task->take_death()) pending_stops_.emplace_back(tid, *st);
  if (runner_ == gone.tid()) runner_ = 0;
  auto it = tasks_.find(gone.tid());
  if (it != tasks_.end()) it->second.state = RecordedTask::State::Vanished;
}

void RecordSession::dispatch(RecordedTask& rt, const TaskStop& s) {
  if (s.kind != TaskStop::Kind::Signal) rt.at_handler_entry = false;
  if (rt.state == RecordedTask::State::Vanished && !s.gone()) {
    ptrace(PTRACE_CONT, rt.task->tid(), nullptr, 0);  // on its way out: only its death matters
    return;
  }
  if (s.kind != TaskStop::Kind::SyscallStop && !s.gone()) {
    // Calls the agent buffered since this thread's last stop go first (AgentRecording.h).
    const bool seccomp = s.kind == TaskStop::Kind::Seccomp;
    if (!app_traces_.empty())  // their tracers see every call: no buffering (AgentRecording.h)
      for (auto& [tid, o] : tasks_)
        if (o.state != RecordedTask::State::Vanished && app_traces_.tracer_of(o.rec_tid))
          agent_.traced_by_app(*o.task, o.rec_tid);
    for (Event& ev : agent_.at_stop(*rt.task, rt.rec_tid, rt.proc->recorded_pid, s)) {
      ev.tid = rt.rec_tid;
      emit(ev);
    }
    if (seccomp && agent_.answer_request(*rt.task, rt.rec_tid)) {
      rt.task->cont();
      return;
    }
    if (seccomp) agent_.patch_site(*rt.task, rt.rec_tid);
  }
  switch (s.kind) {
    case TaskStop::Kind::Seccomp:
      on_syscall(rt);
      break;
    case TaskStop::Kind::SyscallStop:
      on_syscall_exit(rt);
      break;
    case TaskStop::Kind::Clone:
      on_new_task_event(rt);
      break;
    case TaskStop::Kind::Signal:
      if (s.sig == SIGTRAP && !app_traces_.empty() &&
          app_traces_.stepped(rt.rec_tid, rt.task->regs())) {
        rt.at_boundary = false;  // one instruction for the program's tracer: held there
        Event step = tracee_stop_event(SIGTRAP, rt.task->siginfo(), rt.task->regs(), kTracerStep);
        emit_for(rt, step);  // replay steps it too: its tracer may change it there
        hold_for_app_tracer(rt, false);
        break;
      }
      on_signal(rt, s.sig);
      break;
    case TaskStop::Kind::Exited:
    case TaskStop::Kind::Killed:
      on_gone(rt, s.raw_status);
      break;
    default:
      // Stops this version does not act on (group stops...): let the task go on.
      if (rt.state == RecordedTask::State::InSyscall)
        rt.task->resume_syscall();
      else
        rt.task->cont();
      break;
  }
}

void RecordSession::schedule() {
  while (!ready_.empty() && !done_) {
    pid_t tid = ready_.front();
    ready_.pop_front();
    auto it = tasks_.find(tid);
    if (it == tasks_.end() || it->second.state != RecordedTask::State::Ready) continue;
    RecordedTask& rt = it->second;
    runner_ = tid;
    rt.state = RecordedTask::State::Running;
    rt.woke_by_timeout = false;
    rt.run_start_ns = now_ns();
    rt.next_probe_ns = rt.run_start_ns + opt_.spin_check_ns;
    if (rt.entry_pending) {  // a write that waited for its object: its entry is handled now
      rt.entry_pending = false;
      on_syscall(rt);
      if (runner_) return;
      continue;  // parked again
    }
    if (rt.completed) {
      if (held_at_exit_for_app_tracer(rt)) continue;
      complete_call(rt);
      resume_runner(rt, &rt.call);
      return;
    }
    // At a signal-delivery stop: the signal the program's tracer let through, or gave a fault.
    if (int pass = app_traces_.empty() ? 0 : app_traces_.take_pass(rt.rec_tid))
      return on_signal(rt, pass);
    if (rt.at_boundary && deliver_deferred(rt)) return;
    int sig = rt.resume_sig;
    rt.resume_sig = 0;
    if (!app_traces_.empty()) sig = app_traces_.resume_signal(rt.rec_tid, sig);
    if (!app_traces_.empty() && app_traces_.stepping(rt.rec_tid))
      rt.task->single_step(sig);  // the program's tracer asked for one instruction
    else
      rt.task->cont(sig);
    return;
  }
}

void RecordSession::hold_for_app_tracer(RecordedTask& rt, bool at_entry) {
  rt.entry_pending = at_entry;
  rt.state = RecordedTask::State::Ready;
  rt.at_boundary = rt.at_boundary && !at_entry;
  if (runner_ == rt.task->tid()) runner_ = 0;
}

bool RecordSession::held_at_exit_for_app_tracer(RecordedTask& rt) {
  // Only a call with an `enter`, or in a process with one thread: a thread held before its
  // event must be known by replay to have reached its call if others of its process may run.
  if (app_traces_.empty() || !(rt.entered || alone_in_process(rt))) return false;
  const Event& c = rt.call;
  const bool writable = c.mode != ReplayMode::Reexecute && !is_clone_call(c.nr);
  if (!app_traces_.hold_at_exit(rt.rec_tid, rt.task->regs(), writable)) return false;
  hold_for_app_tracer(rt, false);
  return true;
}

bool RecordSession::alone_in_process(const RecordedTask& rt) const {
  const pid_t tgid = rt.task->tgid();
  for (const auto& [tid, o] : tasks_)
    if (&o != &rt && o.task->tgid() == tgid) return false;
  return true;
}

bool RecordSession::wake_app_traced() {
  for (const AppTraces::Kill& k : app_traces_.take_kills())  // (recorded where delivered)
    for (auto& [tid, rt] : tasks_)
      if (rt.proc->recorded_pid == k.pid) {
        kill(rt.task->tgid(), k.sig);
        break;
      }
  bool woke = false;
  for (pid_t rec : app_traces_.take_wakes())
    for (auto& [tid, rt] : tasks_) {
      if (rt.rec_tid != rec || rt.state != RecordedTask::State::Ready) continue;
      if (rt.entered && !rt.completed) {  // held after its `enter`: into the call, as others run
        rt.state = RecordedTask::State::InSyscall;
        rt.task->resume_syscall();
        continue;
      }
      ready_.push_back(tid);
      woke = true;
    }
  return woke;
}

void RecordSession::end_busy_leftovers() {
  // Leftovers that keep busy (a server polling every 0.5 s is never quiet 2 s) end too, after
  // a bound: natively the user's shell would have returned when the program ended.
  constexpr uint64_t kLeftoversMaxNs = 10000000000ull;
  if (main_ended_ns_ && ended_by_.empty() && now_ns() > main_ended_ns_ + kLeftoversMaxNs) {
    end_recording("the program ended; " + leftovers_text() +
                  " still ran 10 s later and were killed");
  }
}

void RecordSession::on_tick() {
  if (!job_stopped_.empty()) resume_job_stopped();
  if (!runner_ && ready_.empty()) stop_stale_write_holders();
  if (!runner_) return;
  auto it = tasks_.find(runner_);
  if (it == tasks_.end()) return;
  RecordedTask& rt = it->second;
  uint64_t now = now_ns();
  // (With the agent, a program may make no stop for long: its agent is asked for one.)
  if (rt.state == RecordedTask::State::Running &&
      (g_checkpoint_requested || periodic_checkpoint_due()))
    agent_.request_stop(*rt.task, rt.rec_tid);
  if (rt.state == RecordedTask::State::Running && !rt.interrupt_sent) {
    bool others_wait = !ready_.empty() && now >= rt.next_probe_ns;
    bool signal_waits = !rt.deferred.empty() && now >= rt.deferred_since_ns + 1000000ull;
    if (others_wait || signal_waits) {
      rt.interrupt_sent = true;
      syscall(SYS_tgkill, rt.task->tgid(), rt.task->tid(), SIGSTOP);
    }
  } else if (rt.state == RecordedTask::State::InSyscall && !rt.entered && !ready_.empty() &&
             rt.call.mode == ReplayMode::Emulate && now >= rt.call_start_ns + 2000000ull) {
    // A call not expected to block did: let the others run meanwhile. Not one that replay
    // makes again (mmap, brk, prctl, clones...): replay makes it at its event, so its effect
    // must fall between its neighbours, as the app's own mappings do for other threads or a
    // vfork partner; such a call waits for no other thread, and they all share one CPU.
    // A write keeps its object busy until its event is out, so that writes to it stay in the
    // kernel's order (WriteOrder).
    writes_.hold(rt.task->tid(), rt.call.nr, rt.call.args);
    Event enter = rt.call;
    enter.kind = EventKind::Enter;
    enter.writes.clear();
    emit_for(rt, enter);
    rt.entered = true;
    rt.entry_xstate.clear();  // in the kernel already: no checkpoint while it waits
    runner_ = 0;
  }
}

bool RecordSession::is_recorded_process(pid_t pid) const {
  for (const auto& [tid, rt] : tasks_)
    if (rt.task->tgid() == pid) return true;
  return false;
}

void RecordSession::on_signals_to_recorder() {
  for (const SignalToRecorder& s : take_signals_to_recorder()) {
    if (s.sender && is_recorded_process(s.sender)) continue;  // the program's kill(0, sig)
    if (s.sig == SIGALRM) continue;                           // a stray tick
    if (s.sig == SIGUSR2) {  // `ckrr checkpoint TRACE` or kill -USR2: one now
      g_checkpoint_requested = 1;
      continue;
    }
    if (ended_by_signal_) continue;
    if (s.sig == SIGINT && !sigint_deadline_ns_) {
      // Sent to the whole group (kill -INT -PGRP, like the terminal's ^C), the program got it
      // too and decides: it has half a second to end by itself before ckrr ends the recording.
      sigint_deadline_ns_ = now_ns() + 500000000ull;
      sigint_sender_ = s.sender;
      continue;
    }
    ended_by_signal_ = s.sig;
    end_on_signal(s.sig, s.sender);
  }
}

void RecordSession::end_on_signal(int sig, pid_t sender) {
  ended_by_signal_ = sig;
  const char* abbrev = sigabbrev_np(sig);
  std::string name = abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
  std::string from = sender ? " from pid " + std::to_string(sender) : "";
  end_recording("ckrr record received " + name + from + ": the program was killed");
}

void RecordSession::start_watchdog() {
  // Quiet this long after the main program ended: its leftover processes are done waiting.
  constexpr uint64_t kOrphanQuietNs = 2000000000ull;
  const uint64_t report_ns = Watchdog::quiet_from_env(10000000000ull);
  if (!report_ns) return;  // none (CKRR_WATCHDOG_SECONDS=0): leftover processes are waited for
  supervisor_tid_ = static_cast<pid_t>(syscall(SYS_gettid));
  watchdog_ = std::make_unique<Watchdog>(
      std::min(kOrphanQuietNs, report_ns), [this, report_ns](const Watchdog::Stall& st) {
        if (main_ended_.load()) {
          orphans_stalled_.store(true);
          syscall(SYS_tgkill, getpid(), supervisor_tid_, SIGALRM);  // out of its waitpid
          return true;
        }
        // Waiting in the kernel for input is the program's business; a thread ckrr holds
        // stopped while nothing moves is ckrr's.
        if (!st.ckrr_holds || st.quiet_ns < report_ns) return false;
        std::string text = "ckrr: watchdog: no progress for " +
                           std::to_string(st.quiet_ns / 1000000000ull) +
                           " s and no thread runs; the traced threads:\n" + st.report;
        fputs(text.c_str(), stderr);
        return true;
      });
}

std::string RecordSession::leftovers_text() const {
  std::set<pid_t> pids;
  for (const auto& [tid, rt] : tasks_) pids.insert(rt.proc->recorded_pid);
  std::string list;
  for (pid_t p : pids) list += " " + std::to_string(p);
  return "the " + std::to_string(pids.size()) + " process(es) it left behind (pid" + list + ")";
}

void RecordSession::end_stalled_orphans() {
  if (!ended_by_.empty() || tasks_.empty()) return;
  end_recording("the program ended; " + leftovers_text() +
                " waited 2 s with nothing happening and were killed");
}

void RecordSession::end_recording(const std::string& why) {
  if (!ended_by_.empty() || !failure_.empty()) return;
  ended_by_ = why;
  end_deadline_ns_ = now_ns() + 1000000000ull;
  if (!opt_.quiet) std::cerr << "ckrr: " << why << "\n";
  for (auto& [tid, rt] : tasks_) kill(tid, SIGKILL);
}

void RecordSession::stop_app(const std::string& why) {
  if (failure_.empty()) failure_ = why;
  for (auto& [tid, rt] : tasks_) kill(tid, SIGKILL);
}

void RecordSession::emit(Event& ev) {
  ev.seq = next_seq_++;
  if (ev.tid == 0) ev.tid = main_task() ? main_task()->rec_tid : 0;
  ev.time_ns = now_ns();
  auto th = threads_.find(ev.tid);
  if (th != threads_.end()) {
    if (!th->second.first_seq) th->second.first_seq = ev.seq;
    th->second.last_seq = ev.seq;
  }
  log_->append(ev);
  if (watchdog_) watchdog_->progress();
  if (log_->failed() && failure_.empty()) stop_app("writing the trace failed: " + log_->error());
}

void RecordSession::emit_for(RecordedTask& rt, Event& ev) {
  ev.tid = rt.rec_tid;
  emit(ev);
  // Each event starts the thread's next slice: its counts start again from here, in replay too.
  Task& t = *rt.task;
  if (ev.kind == EventKind::Exec) counted_.forget(t.tgid());
  if (ev.kind != EventKind::Exit) counted_.begin_slice(t.tgid(), t, rt.slice);
}

void RecordSession::on_syscall(RecordedTask& rt) {
  Task& t = *rt.task;
  const Registers regs = t.regs();
  if (!app_traces_.empty() && alone_in_process(rt) &&
      app_traces_.hold_at_entry(rt.rec_tid, regs, false))
    return hold_for_app_tracer(rt, true);
  long nr = static_cast<long>(regs.orig_rax);
  Event ev;
  ev.tid = rt.rec_tid;  // (the plugins may ask who calls)
  ev.kind = EventKind::Syscall;
  ev.nr = static_cast<int32_t>(nr);
  uint64_t args[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  std::copy(args, args + 6, ev.args);
  ev.add_blob(blob::kIp, &regs.rip, sizeof regs.rip);
  Plugin* plugin = registry_.owner(nr);  // every number has one (the kernel plugin by default)
  stopped_for_end_.clear();
  if (std::optional<pid_t> victim = sigkill_target(nr, args))
    settle_entered_calls(*victim, &rt);  // SIGKILL gives no stop at which to do it later
  // Writes run alone, or announce that they may wait, so that their events are in the order in
  // which the kernel applied them (WriteOrder).
  const bool write = tasks_.size() > 1 && written_fd(nr, args);
  const WriteOrder::Start write_start =
      write ? writes_.at_entry(t, nr, args) : WriteOrder::Start::Alone;
  if (write_start == WriteOrder::Start::Wait) {
    // Another write to the same object is still in the kernel: this one goes after its event.
    rt.entry_pending = true;
    rt.state = RecordedTask::State::Ready;
    rt.at_boundary = false;
    if (runner_ == t.tid()) runner_ = 0;
    return;
  }
  ev.mode = registry_.default_mode(nr);
  SyscallContext ctx{t, *rt.proc, *this, ev, static_cast<int>(nr)};
  std::copy(args, args + 6, ctx.args);
  try {
    plugin->record_entry(ctx);
  } catch (const Unsupported& u) {
    stop_app(std::string("unsupported: ") + u.what() + ", in " + syscall_display_name(nr));
    t.cont();
    return;
  }
  if (ctx.park) {  // a tracer's wait with nothing to report yet
    app_traces_.parked_as(rt.proc->recorded_pid, rt.rec_tid);
    return hold_for_app_tracer(rt, true);
  }
  rt.at_boundary = false;
  if (nr == SYS_set_tid_address) rt.clear_child_tid = args[0];
  rt.rewound_call = -1;
  if (nr == SYS_prctl && args[0] == PR_SET_NAME) {
    std::string name = t.read_string(args[1], 16);
    threads_[rt.rec_tid].name = name;
  }
  if (nr == SYS_exit_group || nr == SYS_exit) {
    if (nr == SYS_exit_group) settle_entered_calls(t.tgid(), &rt);
    emit_for(rt, ev);
    const pid_t tgid = t.tgid();
    t.cont();
    runner_ = 0;
    rt.state = RecordedTask::State::InSyscall;
    // Nothing else runs until the exit is done: the kernel's last writes (clear_child_tid, the
    // other threads' deaths) must not race with the next thread's app code.
    if (nr == SYS_exit_group) {
      reap_process(tgid);
    } else {
      bool others = std::count_if(tasks_.begin(), tasks_.end(), [&](const auto& kv) {
                      return kv.second.task->tgid() == tgid;
                    }) > 1;
      if (!others || t.tid() != tgid) {
        int st = 0;
        pid_t tid = t.tid();
        while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR) {
        }
        on_gone(tasks_.at(tid), st);
      } else {
        t.wait_until_exited();  // a leader: reported when its process ends
      }
    }
    return;
  }
  if (nr == SYS_execve || nr == SYS_execveat) {
    on_exec(rt, ev);
    return;
  }
  if (ctx.skip) {
    Registers r = regs;
    r.orig_rax = static_cast<uint64_t>(-1);
    r.rax = static_cast<uint64_t>(ctx.forced_result);
    t.set_regs(r);
    ctx.result = ctx.forced_result;
    record_call_exit(*plugin, ctx);
    ev.result = ctx.result;
    emit_for(rt, ev);
    rt.last_regs = t.regs();
    rt.at_boundary = true;
    resume_runner(rt, &ev);
    return;
  }
  rt.call = std::move(ev);
  rt.plugin = plugin;
  rt.entered = false;
  rt.completed = false;
  rt.call_start_ns = now_ns();
  if (is_clone_call(nr)) {
    CloneCall c = decode_clone_call(t, nr, args);
    rt.clone_flags = c.flags;
    rt.clone_child_tid = c.child_tid;
  }
  // A restarted process keeps its recorded ids: the kernel gets the real ones.
  Registers for_kernel = regs;
  rt.translated = ids_.translate_args(t, nr, for_kernel);
  if (rt.translated) t.set_regs(for_kernel);
  if (is_clone_call(nr)) strip_clone_untraced(t, nr, args);
  rt.state = RecordedTask::State::InSyscall;
  // A signal held back for the next syscall boundary is raised again now: a call that would
  // wait (pause, a read) is interrupted by it, and it is delivered at the call's return.
  if (!rt.deferred.empty() && !rt.deferred_raised) {
    rt.deferred_raised = true;
    syscall(SYS_tgkill, t.tgid(), t.tid(), rt.deferred.front().si_signo);
  }
  // A vfork-like clone's `enter` goes out at its clone event, with the new tid (on_new_task_event).
  // A write gets one only when it may wait (WriteOrder); one that waits anyway gets a late one.
  // Held here for the program's tracer, after an `enter` (replay then knows it reached it).
  const bool app_entry = !app_traces_.empty() && !is_clone_call(nr) && !alone_in_process(rt) &&
                         app_traces_.hold_at_entry(rt.rec_tid, regs, true);
  if (!is_clone_call(nr) && tasks_.size() > 1 &&
      (app_entry || (write ? write_start == WriteOrder::Start::Enter
                           : may_block(static_cast<int>(nr), args, *rt.proc)))) {
    rt.entry_regs = regs;
    rt.entry_xstate = t.xstate();
    ptrace(PTRACE_GETSIGMASK, t.tid(), sizeof(uint64_t), &rt.entry_sigmask);
    Event enter = rt.call;
    enter.kind = EventKind::Enter;
    emit_for(rt, enter);
    rt.entered = true;
    runner_ = 0;
  }
  if (app_entry) return hold_for_app_tracer(rt, false);  // wake_app_traced lets it in
  t.resume_syscall();
}

void RecordSession::on_new_task_event(RecordedTask& parent) {
  Task& t = *parent.task;
  const pid_t child = static_cast<pid_t>(t.event_msg());
  const bool thread = parent.clone_flags & CLONE_THREAD;
  std::shared_ptr<ProcessState> proc = parent.proc;
  if (!thread) {
    proc = std::make_shared<ProcessState>(*parent.proc);
    proc->recorded_pid = child;
    proc->real_pid = child;
    processes_[child].ppid = parent.proc->recorded_pid;
    processes_[child].exe = processes_[parent.proc->recorded_pid].exe;
  }
  RecordedTask& c =
      add_task(child, thread ? t.tgid() : child, child, proc, threads_[parent.rec_tid].name);
  // The call's result is the child's id in the caller's pid namespace; replay knows the child
  // by this one.
  const int32_t child_id = child;
  parent.call.add_blob(blob::kNewTid, &child_id, sizeof child_id);
  c.state = RecordedTask::State::Starting;
  if (!app_traces_.empty()) app_traces_.new_task(parent.rec_tid, child, parent.clone_flags);
  if (parent.clone_flags & CLONE_CHILD_CLEARTID) c.clear_child_tid = parent.clone_child_tid;
  // The kernel keeps the parent's alternate signal stack for fork and vfork children only.
  if ((parent.clone_flags & (CLONE_VM | CLONE_VFORK)) != CLONE_VM) {
    c.altstack_sp = parent.altstack_sp;
    c.altstack_size = parent.altstack_size;
    c.altstack_flags = parent.altstack_flags;
  }
  auto early = early_stops_.find(child);
  if (early != early_stops_.end()) {
    int st = early->second;
    early_stops_.erase(early);
    pending_stops_.emplace_front(child, st);
  }
  if (parent.clone_flags & CLONE_VFORK) {
    // The parent waits in the kernel until the child execs or exits: the child runs meanwhile.
    Event enter = parent.call;
    enter.kind = EventKind::Enter;
    enter.result = child;  // replay maps the new task by it
    emit_for(parent, enter);
    parent.entered = true;
    if (runner_ == t.tid()) runner_ = 0;
  }
  t.resume_syscall();
}

void RecordSession::settle_entered_calls(pid_t tgid, const RecordedTask* except) {
  for (auto& [tid, o] : tasks_) {
    if (&o == except || o.task->tgid() != tgid || !o.entered) continue;
    if (!o.completed && o.state == RecordedTask::State::InSyscall &&
        written_fd(o.call.nr, o.call.args)) {
      // A write still in the kernel (a full pipe): our SIGSTOP makes it return what it wrote so
      // far (or a restart code when nothing), which is recorded before the process ends.
      auto queued = std::find_if(pending_stops_.begin(), pending_stops_.end(),
                                 [&](const auto& p) { return p.first == tid; });
      if (queued != pending_stops_.end()) {  // it returned already
        if (TaskStop::decode(tid, queued->second).kind != TaskStop::Kind::SyscallStop) continue;
        pending_stops_.erase(queued);
        complete_call(o);
      } else {
        o.interrupt_sent = true;
        syscall(SYS_tgkill, tgid, tid, SIGSTOP);
        TaskStop s = o.task->wait();
        if (s.kind != TaskStop::Kind::SyscallStop) {
          pending_stops_.emplace_back(tid, s.raw_status);  // for the main loop
          continue;
        }
        complete_call(o);
        take_our_sigstop(o);
      }
      // Stopped after its event: it runs again only if the end does not come (a kill that fails).
      o.state = RecordedTask::State::Ready;
      stopped_for_end_.push_back(tid);
      continue;
    }
    if (o.completed) complete_call(o);
  }
}

std::optional<pid_t> RecordSession::sigkill_target(long nr, const uint64_t* a) const {
  if (!ids_.identity()) return std::nullopt;  // a restarted process: ids are translated later
  const auto pid = static_cast<pid_t>(a[0]);
  if (nr == SYS_kill && a[1] == SIGKILL && pid > 0) return pid;
  if (nr == SYS_tgkill && a[2] == SIGKILL && pid > 0) return pid;
  if (nr == SYS_tkill && a[1] == SIGKILL) {
    auto it = tasks_.find(pid);
    if (it != tasks_.end()) return it->second.task->tgid();
  }
  return std::nullopt;
}

void RecordSession::release_parked_writers() {
  if (writes_.idle()) return;
  const std::vector<pid_t> go = writes_.release_finished([this](pid_t holder) {
    auto it = tasks_.find(holder);
    return it == tasks_.end() || !it->second.entered;
  });
  // First in the queue: they waited longest, and a holder that was stopped and makes its call
  // again must come after them (stop_stale_write_holders).
  for (auto tid = go.rbegin(); tid != go.rend(); ++tid) {
    auto it = tasks_.find(*tid);
    if (it != tasks_.end() && it->second.entry_pending) ready_.push_front(*tid);
  }
}

void RecordSession::stop_stale_write_holders() {
  // Nothing can run, and writes have waited a second behind one that waits in the kernel: its
  // reader may be one of them (a non-blocking writer that also reads the pipe), so the holder is
  // stopped there. What it wrote so far gets its event (a short write, as a signal would make
  // it), or, when nothing, it makes the call again after them.
  for (pid_t h : writes_.stale_holders(1000000000ull)) {
    auto it = tasks_.find(h);
    if (it == tasks_.end()) continue;
    RecordedTask& o = it->second;
    const bool queued = std::any_of(pending_stops_.begin(), pending_stops_.end(),
                                    [&](const auto& p) { return p.first == h; });
    if (!o.entered || o.completed || o.state != RecordedTask::State::InSyscall ||
        o.interrupt_sent || queued)
      continue;
    ++stopped_write_holders_;
    stop_waiting_thread(o);
  }
}

void RecordSession::on_syscall_exit(RecordedTask& rt) {
  Task& t = *rt.task;
  if (rt.state != RecordedTask::State::InSyscall) {
    rt.task->cont();  // not ours (a PTRACE_SYSCALL stop of an injected call): go on
    return;
  }
  int64_t rax = static_cast<int64_t>(t.regs().rax);
  const bool restart = is_restart_result(rax);
  if ((restart && (rt.kicked || rt.interrupt_sent)) ||
      (rax == -EINTR && rt.kicked && eintr_on_stop(rt.call.nr))) {
    // Our SIGSTOP interrupted the call: at its delivery stop the call is rewound to its
    // instruction and made again later, as if it had not started.
    rt.rewind_on_stop = true;
    rt.kicked = false;
    rt.state = runner_ == t.tid() ? RecordedTask::State::Running : RecordedTask::State::Ready;
    rt.interrupt_sent = true;
    t.cont();
    return;
  }
  // It returned before our SIGSTOP reached it (which then comes late and is dropped): the kick
  // is spent, a later wait may be interrupted again.
  rt.kicked = false;
  if (rax == -516) {
    // ERESTART_RESTARTBLOCK: without a handler the kernel would go on through restart_syscall,
    // resuming state that replay (which emulates the call) never builds. ERESTARTNOHAND acts
    // the same towards handlers (EINTR) and restarts the call itself instead; a relative
    // timeout then starts again in full.
    Registers r = t.regs();
    r.rax = static_cast<uint64_t>(rax = -514);
    t.set_regs(r);
  }
  if (rt.entered && runner_ != t.tid()) {
    const long nr = rt.call.nr;
    rt.woke_by_timeout =
        rax == -ETIMEDOUT || (rax == -EAGAIN && nr == SYS_rt_sigtimedwait) ||
        (rax == 0 && (nr == SYS_nanosleep || nr == SYS_clock_nanosleep || nr == SYS_poll ||
                      nr == SYS_ppoll || nr == SYS_select || nr == SYS_pselect6 ||
                      nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2));
    rt.completed = true;
    rt.state = RecordedTask::State::Ready;
    ready_.push_back(t.tid());
    return;
  }
  runner_ = t.tid();
  rt.state = RecordedTask::State::Running;
  rt.completed = true;
  if (held_at_exit_for_app_tracer(rt)) return;
  complete_call(rt);
  resume_runner(rt, &rt.call);
}

void RecordSession::complete_call(RecordedTask& rt) {
  Task& t = *rt.task;
  Event& ev = rt.call;
  const long nr = ev.nr;
  int64_t rax = static_cast<int64_t>(t.regs().rax);
  if (rt.translated || !ids_.identity()) {
    Registers r = t.regs();
    set_syscall_args(r, ev.args);
    if (std::optional<int64_t> v = virtual_result(rt, nr)) r.rax = static_cast<uint64_t>(rax = *v);
    t.set_regs(r);
  }
  SyscallContext ctx{t, *rt.proc, *this, ev, static_cast<int>(nr)};
  std::copy(ev.args, ev.args + 6, ctx.args);
  ctx.result = rax;
  record_call_exit(*rt.plugin, ctx);
  ev.result = ctx.result;
  if (nr == SYS_sigaltstack && ev.result == 0 && ev.args[0]) note_altstack(rt, ev.args[0]);
  emit_for(rt, ev);
  if (ev.result < 0 && sigkill_target(nr, ev.args)) {
    // The SIGKILL was refused: the writers stopped for it go on.
    for (pid_t tid : stopped_for_end_)
      if (tasks_.count(tid)) ready_.push_back(tid);
    stopped_for_end_.clear();
  }
  rt.completed = false;
  rt.entered = false;
  rt.last_regs = t.regs();
  rt.at_boundary = true;
}

void RecordSession::note_altstack(RecordedTask& rt, uint64_t ss_addr) {
  stack_t ss{};
  if (!rt.task->try_read(ss_addr, &ss, sizeof ss)) return;
  constexpr int kAutoDisarm = static_cast<int>(1u << 31);  // SS_AUTODISARM (linux/signal.h)
  rt.altstack_flags = ss.ss_flags & (SS_DISABLE | kAutoDisarm);
  rt.altstack_sp = reinterpret_cast<uint64_t>(ss.ss_sp);
  rt.altstack_size = ss.ss_size;
  if (ss.ss_flags & SS_DISABLE) rt.altstack_sp = rt.altstack_size = 0;
}

RecordedTask& RecordSession::end_other_threads(pid_t exec_tid, const std::vector<pid_t>& others,
                                               const std::set<pid_t>& reaped) {
  const pid_t tgid = tasks_.at(exec_tid).task->tgid();
  reap_ended_threads(tgid, others, reaped);
  auto gone = [&](pid_t tid) {
    return tid == tgid || std::find(others.begin(), others.end(), tid) != others.end();
  };
  if (!app_traces_.empty()) app_traces_.exec_ended(tgid, exec_tid, others);
  for (pid_t tid : others) {
    tasks_.erase(tid);
    early_stops_.erase(tid);
  }
  std::erase_if(pending_stops_, [&](const auto& p) { return gone(p.first); });
  std::erase_if(ready_, gone);
  RecordedTask moved = std::move(tasks_.at(exec_tid));
  tasks_.erase(exec_tid);
  RecordedTask& me = tasks_[tgid] = std::move(moved);
  me.rec_tid = me.proc->recorded_pid;  // the app sees getpid() == gettid() from now on
  if (runner_ == exec_tid) runner_ = tgid;
  return me;
}

void RecordSession::on_exec(RecordedTask& exec_rt, Event& ev) {
  Task& t = *exec_rt.task;
  bool at = ev.nr == SYS_execveat;
  ev.add_text(blob::kPath, t.read_string(at ? ev.args[1] : ev.args[0]));
  // A relative program path resolves against it; replay execs from the same directory.
  std::error_code cwd_ec;
  const auto cwd =
      std::filesystem::read_symlink("/proc/" + std::to_string(t.tid()) + "/cwd", cwd_ec);
  if (!cwd_ec) ev.add_text(blob::kCwd, cwd.string());
  const pid_t exec_tid = t.tid();
  std::vector<pid_t> others;
  for (auto& [tid, o] : tasks_)
    if (tid != exec_tid && o.task->tgid() == t.tgid()) others.push_back(tid);
  std::set<pid_t> reaped;
  t.resume_syscall();
  TaskStop s =
      others.empty() ? t.wait() : wait_threaded_exec(t, others, reaped, [this](pid_t tid, int st) {
        pending_stops_.emplace_back(tid, st);  // for the main loop
      });
  if (s.gone()) {
    on_gone(exec_rt, s.raw_status);
    return;
  }
  // The event is the calling thread's (replay finds the call there); after a successful exec
  // in a process with threads it is the only thread left, and the leader.
  ev.tid = exec_rt.rec_tid;
  RecordedTask& rt = !others.empty() && s.kind == TaskStop::Kind::Exec
                         ? end_other_threads(exec_tid, others, reaped)
                         : exec_rt;
  if (s.kind == TaskStop::Kind::Exec) {
    t.resume_syscall();
    s = t.wait();
    if (s.kind != TaskStop::Kind::SyscallStop)
      throw Error("unexpected " + s.describe() + " after exec");
    ExecInfo info = prepare_exec(t, std::nullopt);
    ev.kind = EventKind::Exec;
    ev.result = 0;
    ev.add_blob(blob::kAuxv, info.auxv.data(), info.auxv.size());
    ev.add_blob(blob::kRandom, info.random.data(), info.random.size());
    const std::string proc_exe = "/proc/" + std::to_string(t.tid()) + "/exe";
    std::string exe = std::filesystem::read_symlink(proc_exe);
    // Through /proc: the program may be a memfd or deleted (fexecve), with no path to open.
    int exe_fd = open(proc_exe.c_str(), O_RDONLY | O_CLOEXEC);
    if (exe_fd < 0) throw Error("cannot read the program of process " + std::to_string(t.tid()));
    struct stat exe_st {};
    fstat(exe_fd, &exe_st);
    std::string base = std::filesystem::path(exe).filename().string();
    if (base.empty() || base.find(' ') != std::string::npos) base = "program";
    std::string stored = store_->save_fd(exe_fd, base);
    close(exe_fd);
    ev.add_text(blob::kStoredFile, stored);
    note_mapped_file(exe, stored, exe_st.st_size);
    // The first program is the trace's; later execs (children, exec chains) are its processes.
    const bool first = !index_->meta("exe");
    if (first) {
      index_->set_meta("exe", exe);
      index_->set_meta("exe_stored", stored);
      index_->set_meta("exe_stat", file_identity(exe));
    }
    processes_[rt.proc->recorded_pid].exe = exe;
    threads_[rt.rec_tid].name = std::filesystem::path(exe).filename().string().substr(0, 15);
    std::string interp = interpreter_of(exe);
    if (!interp.empty()) {
      std::string istored = store_->save_path(interp);
      note_mapped_file(interp, istored, std::filesystem::file_size(interp));
      if (!index_->meta("interp")) {
        index_->set_meta("interp", interp);
        index_->set_meta("interp_stored", istored);
        index_->set_meta("interp_stat", file_identity(interp));
      }
    }
    rt.proc->exec();
    rt.altstack_flags = SS_DISABLE;  // execve clears it
    rt.altstack_sp = rt.altstack_size = 0;
    for (const auto& p : registry_.plugins()) p->on_exec(*rt.proc);
  } else {
    if (s.kind != TaskStop::Kind::SyscallStop)
      throw Error("unexpected " + s.describe() + " in exec");
    ev.result = static_cast<int64_t>(t.regs().rax);
    ev.mode = ReplayMode::Emulate;
  }
  emit(ev);
  rt.last_regs = t.regs();
  rt.at_boundary = true;
  resume_runner(rt, &ev);
}

bool RecordSession::fatal_by_default(pid_t tgid, int sig) const {
  switch (sig) {
    case SIGCHLD:
    case SIGCONT:
    case SIGURG:
    case SIGWINCH:
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return false;
  }
  std::ifstream status("/proc/" + std::to_string(tgid) + "/status");
  std::string line;
  uint64_t caught = 0, ignored = 0;
  while (std::getline(status, line)) {
    if (line.rfind("SigCgt:", 0) == 0) caught = std::stoull(line.substr(7), nullptr, 16);
    if (line.rfind("SigIgn:", 0) == 0) ignored = std::stoull(line.substr(7), nullptr, 16);
  }
  uint64_t bit = uint64_t{1} << (sig - 1);
  return !(caught & bit) && !(ignored & bit);
}

void RecordSession::on_signal(RecordedTask& rt, int sig) {
  Task& t = *rt.task;
  if (rt.state == RecordedTask::State::Starting) {
    // The first stop of a new thread or process: it waits for its turn, where its parent
    // left it (replay finds it there too).
    rt.state = RecordedTask::State::Ready;
    rt.last_regs = t.regs();
    rt.at_boundary = true;
    if (sig != SIGSTOP) rt.resume_sig = sig;
    ready_.push_back(t.tid());
    counted_.begin_slice(t.tgid(), t, rt.slice);
    return;
  }
  const bool at_entry = rt.at_handler_entry;
  rt.at_handler_entry = false;
  if (is_stop_signal(sig) && in_group_stop(t.tid())) {
    on_group_stop(rt);
    return;
  }
  if (sig == SIGTRAP && on_counted_trap(rt)) return;
  siginfo_t si = t.siginfo();
  if (sig == SIGSTOP && sent_by_us(si) && rt.interrupt_sent) {
    rt.interrupt_sent = false;
    on_interrupted(rt);
    return;
  }
  Event ev;
  FaultContext fc{t, *rt.proc, *this, ev, sig, si};
  for (const auto& p : registry_.plugins()) {
    if (p->record_fault(fc)) {
      emit_for(rt, ev);
      t.cont();
      return;
    }
  }
  if (sig == SIGSTOP && sent_by_us(si)) {  // one of ours that came late: never delivered
    t.cont();
    return;
  }
  if (sig == SIGTSTP && si.si_code == SI_KERNEL) {
    // The terminal's ^Z: ckrr cannot be suspended with its program (it ignores SIGTSTP so that
    // the program's kill(0, SIGTSTP) does not stop it), so the program is not either.
    t.cont();
    return;
  }
  const Registers& regs = t.regs();
  bool fault = is_synchronous_fault(sig, si);
  // (A loop can come back to the same registers: counted hits show that it ran.)
  bool boundary = (rt.at_boundary && same_position(regs, rt.last_regs) && !rt.slice.ran()) ||
                  (!fault && at_entry && same_position(regs, rt.handler_entry));
  if (!fault && !boundary && regs.orig_rax == SYS_rt_sigprocmask && findable_point(t, regs)) {
    // Made deliverable by sigprocmask unblocking it (the filter lets the call through): the
    // app may rely on it arriving right there, so place it by registers, now. (After
    // rt_sigreturn it is held back like any other: the point would follow a return through a
    // signal frame, which an execution breakpoint may not see.)
    emit_preempt(rt, capture_point(t), 2, PointKind::Registers, 0);
    boundary = true;
  }
  if (!fault && !boundary) {
    // Asynchronous, arrived while app code ran: hold it until the next syscall returns, a point
    // replay can find exactly (or, after a tick, a located point: see on_interrupted).
    hold_back(rt, si);
    t.cont();
    return;
  }
  if (!fault && is_reraised(rt, si, sig)) {
    si = rt.deferred.front();  // one we re-raised: restore what the kernel first said
    rt.deferred.erase(rt.deferred.begin());
    rt.deferred_raised = false;
    t.set_siginfo(si);
  }
  if (!app_traces_.empty() && app_traces_.signal_stop(rt.rec_tid, sig, si, regs, fault)) {
    // A signal-delivery stop for the program's tracer: a fault's position is its event.
    if (fault) {
      Event stop = tracee_stop_event(sig, si, regs, kTracerSignalStop);
      emit_for(rt, stop);
    }
    rt.at_boundary = rt.at_boundary && !fault;
    rt.resume_sig = 0;
    return hold_for_app_tracer(rt, false);
  }
  ev.kind = EventKind::Signal;
  ev.mode = ReplayMode::Emulate;
  ev.nr = sig;
  ev.args[0] = fault ? 1 : 0;
  ev.args[1] = reinterpret_cast<uint64_t>(si.si_addr);
  ev.args[2] = regs.rip;
  ev.add_blob(blob::kSigInfo, &si, sizeof si);
  ev.add_blob(blob::kRegs, &regs, sizeof regs);
  const pid_t tgid = t.tgid();
  const bool fatal = fatal_by_default(tgid, sig);
  if (fatal) settle_entered_calls(tgid, &rt);
  emit_for(rt, ev);
  // A stop signal with its default action runs no app code: a SIGCONT that ends the stop comes
  // at this same point (replay raises it there too), as natively before any instruction.
  rt.at_boundary = !fault && is_stop_signal(sig) && !has_signal_handler(t.tid(), sig);
  if (!fault && has_signal_handler(t.tid(), sig)) {
    // Replay delivers it the same way: the frame's fault words are cleared in both.
    Registers entry;
    if (std::optional<TaskStop> other = deliver_async_signal(t, sig, ev.args[2], &entry)) {
      pending_stops_.emplace_front(t.tid(), other->raw_status);
    } else {
      rt.at_handler_entry = true;
      rt.handler_entry = entry;
    }
    return;
  }
  t.cont(sig);
  if (fatal) {
    runner_ = 0;
    reap_process(tgid);
  }
}

void RecordSession::on_group_stop(RecordedTask& rt) {
  // Stopped for real: the parent's waitpid(WUNTRACED) sees it once every thread is stopped.
  rt.stopped_in_syscall = rt.state == RecordedTask::State::InSyscall;
  rt.state = RecordedTask::State::JobStopped;
  job_stopped_.insert(rt.task->tid());
  if (runner_ == rt.task->tid()) runner_ = 0;
}

void RecordSession::resume_job_stopped() {
  std::vector<pid_t> go;
  for (pid_t tid : job_stopped_)
    if (sigcont_pending(tid)) go.push_back(tid);
  for (pid_t tid : go) {
    job_stopped_.erase(tid);
    auto it = tasks_.find(tid);
    if (it == tasks_.end()) continue;
    RecordedTask& rt = it->second;
    if (rt.stopped_in_syscall) {  // on to the call's exit stop, as before the stop
      rt.state = RecordedTask::State::InSyscall;
      rt.task->resume_syscall();
    } else {  // its turn comes; SIGCONT is then delivered (an asynchronous signal)
      rt.state = RecordedTask::State::Ready;
      ready_.push_back(tid);
    }
  }
}

void RecordSession::emit_preempt(RecordedTask& rt, const ExecutionPoint& p, int why, PointKind kind,
                                 uint64_t count) {
  Event ev;
  ev.kind = EventKind::Preempt;
  ev.mode = ReplayMode::Emulate;
  ev.nr = why;
  ev.args[0] = p.regs.rip;
  ev.args[1] = p.stack_digest;
  ev.args[2] = static_cast<uint64_t>(kind);
  ev.args[3] = count;
  ev.add_blob(blob::kRegs, &p.regs, sizeof p.regs);
  for (Event& b : agent_.at_stop(*rt.task, rt.rec_tid, rt.proc->recorded_pid, false)) {
    b.tid = rt.rec_tid;  // buffered while the point was sought
    emit(b);
  }
  emit_for(rt, ev);
  rt.last_regs = p.regs;
  rt.at_boundary = true;
  count_point(kind, why == 2);
  // A point that was needed (a signal, a forced switch) pays for more hits of its address.
  if (kind == PointKind::Counted && why != 0)
    counted_.credit(rt.task->tgid(), p.regs.rip, CountedBreakpoints::kPointCredit);
}

void RecordSession::count_point(PointKind kind, bool signal) {
  if (signal) {
    ++located_signals_;
    if (kind == PointKind::Counted) ++located_counted_;
  } else {
    ++(kind == PointKind::Counted ? preempt_counted_ : preempt_registers_);
  }
}

void RecordSession::switch_away(RecordedTask& rt) {
  rt.state = RecordedTask::State::Ready;
  ready_.push_back(rt.task->tid());
  if (runner_ == rt.task->tid()) runner_ = 0;
}

bool RecordSession::slice_over(const RecordedTask& rt, uint64_t now) const {
  bool urgent = false;
  for (pid_t r : ready_) {
    auto w = tasks_.find(r);
    urgent = urgent || (w != tasks_.end() && !w->second.woke_by_timeout);
  }
  return now >= rt.run_start_ns + (urgent ? opt_.max_slice_ns : opt_.max_slice_timeout_ns);
}

bool RecordSession::on_counted_trap(RecordedTask& rt) {
  Task& t = *rt.task;
  const unsigned dr6 = exec_breakpoint::take_hits(t.tid());
  if (!(dr6 & 7)) return false;
  const unsigned hit = counted_.count(t.tgid(), t, rt.slice, dr6);
  if (hit && runner_ == t.tid() && rt.state == RecordedTask::State::Running && !rt.interrupt_sent &&
      (!rt.deferred.empty() || !ready_.empty())) {
    const int slot = std::countr_zero(hit);
    const uint64_t n = rt.slice.hits[slot];
    ExecutionPoint q = capture_point(t);
    if (!rt.deferred.empty()) {  // a held-back signal: here is a point replay counts its way to
      emit_preempt(rt, q, 2, PointKind::Counted, n);
      deliver_deferred(rt);
      return true;
    }
    // A spin loop only after a tick's work, as with the probe: a loop whose state is all in
    // memory looks the same at every hit, and switching at each would starve the program.
    const uint64_t now = now_ns();
    const std::optional<ExecutionPoint>& last = rt.slice.last[slot];
    const bool spin = now >= rt.next_probe_ns && last && same_point_registers(last->regs, q.regs) &&
                      last->stack_digest == q.stack_digest;
    if (spin || slice_over(rt, now)) {
      ++(spin ? preempt_spin_ : preempt_forced_);
      emit_preempt(rt, q, spin ? 0 : 1, PointKind::Counted, n);
      switch_away(rt);
      return true;
    }
    rt.slice.last[slot] = q;
  }
  t.cont();
  return true;
}

void RecordSession::on_interrupted(RecordedTask& rt) {
  Task& t = *rt.task;
  if (rt.rewind_on_stop) {
    Registers r = t.regs();
    rewind_to_syscall(r);
    t.set_regs(r);
    rt.rewind_on_stop = false;
    rt.entered = false;
    rt.completed = false;
    if (tasks_.size() == 1 && g_checkpoint_requested) {
      rt.at_boundary = false;
      rt.state = RecordedTask::State::Running;
      take_checkpoint(rt, next_seq_ - 1, true);
      return;
    }
    if (runner_ != t.tid()) {  // another thread runs now: wait for the turn
      rt.state = RecordedTask::State::Ready;
      ready_.push_back(t.tid());
      return;
    }
  }
  const Registers regs = t.regs();
  // (A loop can come back to the same registers: counted hits show that it ran.)
  const bool boundary = rt.at_boundary && same_position(regs, rt.last_regs) && !rt.slice.ran();
  const uint64_t now = now_ns();
  if (!boundary && (!findable_point(t, regs) || AgentRecording::inside(t, regs.rip))) {
    // Inside a rep string instruction, or the agent: try again at the next tick.
    rt.next_probe_ns = now + 1000000ull;
    t.cont();
    return;
  }
  if (!rt.deferred.empty() && !boundary) {
    // A signal waited a tick for a syscall that did not come: deliver it at a point replay
    // finds (counted, or by registers and stack).
    ExecutionPoint p;
    PointKind kind;
    uint64_t n = 0;
    if (!place_point(rt, &p, &kind, &n)) return;  // another stop came first and was dispatched
    emit_preempt(rt, p, 2, kind, n);
  }
  if (!rt.deferred.empty()) {
    deliver_deferred(rt);
    return;
  }
  if (ready_.empty()) {
    t.cont();
    return;
  }
  if (boundary) {  // right after its last event: switching needs no event
    ++preempt_at_syscall_;
    switch_away(rt);
    return;
  }
  ExecutionPoint p = capture_point(t);
  if (!slice_over(rt, now)) {
    TaskStop other;
    int slot = -1;
    Probe r = probe_spin(rt, p, &other, &slot);
    if (r == Probe::OtherStop) {
      dispatch(rt, other);
      return;
    }
    if (r == Probe::NotSpin) {
      rt.next_probe_ns = now_ns() + opt_.spin_check_ns;
      t.cont();
      return;
    }
    if (slot >= 0) {
      ++preempt_spin_;
      emit_preempt(rt, capture_point(t), 0, PointKind::Counted, rt.slice.hits[slot]);
    } else {
      // Its address is counted in the process's next slices. This time: the next counted hit
      // or syscall (a loop whose state is in memory looks like a spin but ends), else, if it
      // still spins, a point found by registers (every iteration of a real spin loop, waiting
      // for another thread, is the same state).
      counted_.choose(t.tgid(), p.regs.rip);
      ExecutionPoint q;
      PointKind kind;
      uint64_t n = 0;
      if (!place_point(rt, &q, &kind, &n, &p)) return;
      ++preempt_spin_;
      emit_preempt(rt, q, 0, kind, n);
    }
  } else {
    PointKind kind;
    uint64_t n = 0;
    if (!place_point(rt, &p, &kind, &n, nullptr, true)) return;
    ++preempt_forced_;
    emit_preempt(rt, p, 1, kind, n);
  }
  switch_away(rt);
}

bool RecordSession::place_point(RecordedTask& rt, ExecutionPoint* out, PointKind* kind,
                                uint64_t* count, const ExecutionPoint* spin, bool forced) {
  Task& t = *rt.task;
  TaskStop other;
  int slot = -1;
  // The next counted hit, or the next syscall (where no point is needed), within 5 ms (20 for
  // what looked like a spin: a loop whose state is all in memory looks the same).
  switch (run_to_breakpoint(rt, 0, true, spin ? 20000000ull : 5000000ull, &other, &slot)) {
    case BreakpointWait::Hit:
      *out = capture_point(t);
      *kind = PointKind::Counted;
      *count = rt.slice.hits[slot];
      return true;
    case BreakpointWait::Other:
      dispatch(rt, other);
      return false;
    case BreakpointWait::Interrupted:
      break;
  }
  *kind = PointKind::Registers;
  *count = 0;
  // A point by registers may be ambiguous: none for a loop known to keep its state in memory
  // (its address proved too hot), nor for a forced switch until the slice is very long (the
  // thread goes on and is tried again a tick later).
  const bool guess_later =
      spin ? counted_.too_hot(t.tgid(), spin->regs.rip)
           : forced && now_ns() < rt.run_start_ns + opt_.max_slice_ns + 1000000000ull;
  if (guess_later) {
    rt.next_probe_ns = now_ns() + opt_.spin_check_ns;
    t.cont();
    return false;
  }
  if (spin) {
    switch (probe_spin(rt, *spin, &other, &slot)) {
      case Probe::Spin:
        *out = capture_point(t);
        if (slot >= 0) {
          *kind = PointKind::Counted;
          *count = rt.slice.hits[slot];
        }
        return true;
      case Probe::OtherStop:
        dispatch(rt, other);
        return false;
      case Probe::NotSpin:
        rt.next_probe_ns = now_ns() + opt_.spin_check_ns;
        t.cont();
        return false;
    }
  }
  // None: the return sites around here are counted in the process's next slices; this time
  // the point is found by registers.
  std::vector<uint64_t> sites = return_sites(t, t.regs(), CountedBreakpoints::kChosen);
  for (auto it = sites.rbegin(); it != sites.rend(); ++it) counted_.choose(t.tgid(), *it);
  *kind = PointKind::Registers;
  *count = 0;
  switch (seek_return_site(rt, out, &other, &slot)) {
    case Probe::Spin:  // found
      if (slot >= 0) {
        *kind = PointKind::Counted;
        *count = rt.slice.hits[slot];
      }
      return true;
    case Probe::OtherStop:
      dispatch(rt, other);
      return false;
    case Probe::NotSpin:
      *out = capture_point(t);
      if (!findable_point(t, out->regs)) {  // inside rep movs: let it run a little more
        t.cont();
        return false;
      }
      return true;
  }
  return false;
}

RecordSession::BreakpointWait RecordSession::run_to_breakpoint(RecordedTask& rt, uint64_t temporary,
                                                               bool at_counted, uint64_t within_ns,
                                                               TaskStop* other, int* slot) {
  Task& t = *rt.task;
  *slot = -1;
  exec_breakpoint::take_hits(t.tid());
  if (temporary) counted_.set_temporary(t, rt.slice, temporary);
  t.cont();
  const uint64_t deadline = now_ns() + within_ns;
  BreakpointWait result = BreakpointWait::Interrupted;
  for (;;) {
    int st = 0;
    pid_t r = waitpid(t.tid(), &st, __WALL);
    if (r < 0) {
      if (errno != EINTR) throw Error(errno_text("waitpid", errno));
      TickTimer::take();
      if (!rt.interrupt_sent && now_ns() >= deadline) {
        rt.interrupt_sent = true;  // not there in time: stop it wherever it is
        syscall(SYS_tgkill, t.tgid(), t.tid(), SIGSTOP);
      }
      continue;
    }
    TaskStop s = TaskStop::decode(r, st);
    if (s.kind == TaskStop::Kind::Signal && s.sig == SIGTRAP) {
      const unsigned dr6 = exec_breakpoint::take_hits(t.tid());
      const unsigned hit = counted_.count(t.tgid(), t, rt.slice, dr6);
      if (hit) *slot = std::countr_zero(hit);
      if ((temporary && (dr6 & 8)) || (at_counted && hit)) {
        result = BreakpointWait::Hit;
        break;
      }
      *slot = -1;
      if (dr6 & 15) {
        t.cont();
        continue;
      }
    }
    if (s.kind == TaskStop::Kind::Signal && s.sig == SIGSTOP && rt.interrupt_sent) {
      siginfo_t si = t.siginfo();
      if (sent_by_us(si)) {
        rt.interrupt_sent = false;
        break;
      }
    }
    if (s.kind == TaskStop::Kind::Signal && s.sig != SIGTRAP && !is_stop_signal(s.sig)) {
      // An asynchronous signal while app code runs is held back as on_signal would; going back
      // to the main loop for it would start the wait over (a 1 ms timer would never let it end).
      siginfo_t si = t.siginfo();
      if (!sent_by_us(si) && !is_synchronous_fault(s.sig, si) &&
          static_cast<long>(t.regs().orig_rax) != SYS_rt_sigprocmask) {
        hold_back(rt, si);
        t.cont();
        continue;
      }
    }
    *other = s;
    result = BreakpointWait::Other;
    break;
  }
  if (temporary) counted_.set_temporary(t, rt.slice, 0);
  return result;
}

RecordSession::Probe RecordSession::seek_return_site(RecordedTask& rt, ExecutionPoint* out,
                                                     TaskStop* other, int* slot) {
  Task& t = *rt.task;
  std::vector<uint64_t> sites = return_sites(t, t.regs(), 1);
  if (sites.empty()) return Probe::NotSpin;
  switch (run_to_breakpoint(rt, sites[0], false, 5000000ull, other, slot)) {
    case BreakpointWait::Hit:
      *out = capture_point(t);
      return Probe::Spin;
    case BreakpointWait::Other:
      return Probe::OtherStop;
    case BreakpointWait::Interrupted:
      break;
  }
  return Probe::NotSpin;
}

bool RecordSession::step_off(RecordedTask& rt, TaskStop* other) {
  Task& t = *rt.task;
  for (;;) {
    t.single_step();
    TaskStop s = t.wait();
    if (s.kind != TaskStop::Kind::Signal || s.sig != SIGTRAP) {
      *other = s;
      return false;
    }
    const unsigned dr6 = exec_breakpoint::take_hits(t.tid());
    if (!(dr6 & 7)) return true;
    // A counted address here fired before the instruction ran (as it does in replay): count
    // it and step again.
    counted_.count(t.tgid(), t, rt.slice, dr6);
  }
}

RecordSession::Probe RecordSession::probe_spin(RecordedTask& rt, const ExecutionPoint& p,
                                               TaskStop* other, int* slot) {
  Task& t = *rt.task;
  // Step off the instruction first: a breakpoint at the current rip fires before it runs.
  if (!step_off(rt, other)) return Probe::OtherStop;
  switch (run_to_breakpoint(rt, p.regs.rip, false, 1000000ull, other, slot)) {
    case BreakpointWait::Hit: {
      ExecutionPoint q = capture_point(t);
      bool same = same_point_registers(q.regs, p.regs) && q.stack_digest == p.stack_digest;
      return same ? Probe::Spin : Probe::NotSpin;
    }
    case BreakpointWait::Other:
      return Probe::OtherStop;
    case BreakpointWait::Interrupted:
      break;
  }
  return Probe::NotSpin;
}

void RecordSession::reap_process(pid_t tgid) {
  // Collect every thread of the dying process; the leader's status, reported last, is the
  // process's. Stops of other tasks are kept for the main loop.
  auto collect = [&](pid_t tid) {
    int st = 0;
    for (;;) {
      pid_t r = waitpid(tid, &st, __WALL);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) break;
      if (TaskStop::decode(r, st).gone()) break;
      ptrace(PTRACE_CONT, tid, nullptr, 0);  // dying: let it go on to its end
    }
    auto it = tasks_.find(tid);
    if (it != tasks_.end()) on_gone(it->second, st);
  };
  std::vector<pid_t> members;
  for (auto& [tid, rt] : tasks_)
    if (rt.task->tgid() == tgid && tid != tgid) members.push_back(tid);
  for (pid_t tid : members) collect(tid);
  if (tasks_.count(tgid)) collect(tgid);
}

void RecordSession::resume_runner(RecordedTask& rt, const Event* after) {
  Task& t = *rt.task;
  if (!app_traces_.empty() && app_traces_.hold_after_event(rt.rec_tid, *after, t.regs()))
    return hold_for_app_tracer(rt, false);
  if (deliver_deferred(rt)) return;
  // After a checkpoint of several processes, one of the process alone as soon as its children
  // are gone: `ckrr restart` restores single processes (a fork+exec loop is rarely childless
  // when the interval comes).
  const bool due = g_checkpoint_requested || periodic_checkpoint_due() ||
                   (single_after_group_ && one_process() && !checkpoint_must_wait(rt, {}));
  // A call the kernel is about to restart cannot be resumed from a checkpoint as is, and
  // injecting the checkpoint's syscalls would let a pending signal be delivered mid-capture:
  // wait for a boundary without either. Nothing is written at such a boundary either: the
  // signal event that follows a call it interrupted must come right after that call's event
  // (replay decides there between delivering it and restarting the call).
  const bool restarting = after->kind == EventKind::Syscall && is_restart_result(after->result);
  if (!due || !failure_.empty() || restarting || has_pending_signals(t.tid())) {
    t.cont();
    return;
  }
  if (checkpoint_must_wait(rt, {})) {
    t.cont();
    return;
  }
  CheckpointRequest others;
  std::vector<ProcessCapture> processes;
  if (tasks_.size() > 1) {
    // Calls that completed while others ran have their event written now rather than when
    // their thread next runs: the thread is then after its event, which a checkpoint can
    // describe whatever the call was (a vfork that ended, say). Not a call a signal
    // interrupted (its signal event must follow its own), nor a wait with a temporary signal
    // mask: until it is back in user mode the kernel keeps the mask to restore, which a
    // checkpoint cannot hold (the signal it let in comes next).
    for (auto& [tid, o] : tasks_)
      if (&o != &rt && o.completed && o.state == RecordedTask::State::Ready && !o.interrupt_sent &&
          !is_restart_result(static_cast<int64_t>(o.task->regs().rax)) &&
          !temporary_mask(*o.task, o.call.nr, o.call.args))
        complete_call(o);
    if (!(other_threads_checkpointable(rt, others, rt.rewound_call) &&
          other_processes_checkpointable(rt, processes))) {
      // Not at a point every thread can be described: try again later.
      g_checkpoint_requested = 0;
      ++skipped_checkpoints_;
      next_checkpoint_ns_ = now_ns() + opt_.checkpoint_interval_ns;
      t.cont();
      return;
    }
  }
  take_checkpoint(rt, next_seq_ - 1, false, std::move(others), std::move(processes));
}

bool RecordSession::other_threads_checkpointable(RecordedTask& rt, CheckpointRequest& req,
                                                 int64_t capturer_call) {
  std::vector<ThreadPlace> places{{rt.rec_tid, capturer_call}};
  for (auto& [tid, o] : tasks_) {
    if (&o == &rt) continue;
    if (o.task->tgid() != rt.task->tgid()) continue;  // other processes: their own request
    if (o.interrupt_sent || o.rewind_on_stop || o.state == RecordedTask::State::Starting ||
        o.state == RecordedTask::State::Running || o.state == RecordedTask::State::Vanished ||
        !o.deferred.empty())
      return false;
    SavedThread th;
    th.tid = o.rec_tid;
    th.altstack_sp = o.altstack_sp;
    th.altstack_size = o.altstack_size;
    th.altstack_flags = o.altstack_flags;
    th.clear_child_tid = o.clear_child_tid;
    syscall(SYS_get_robust_list, tid, &th.robust_list, &th.robust_list_len);
    if (o.entered) {
      // Waiting in (or done with) an emulated call: saved as about to make it again.
      if (o.call.mode != ReplayMode::Emulate || o.entry_xstate.empty()) return false;
      th.regs = o.entry_regs;
      rewind_to_syscall(th.regs);
      th.xstate = o.entry_xstate;
      th.sigmask = o.entry_sigmask;
      places.push_back({o.rec_tid, o.call.nr});
    } else {
      if (o.state != RecordedTask::State::Ready || o.completed || o.resume_sig ||
          !(o.at_boundary || o.rewound_call >= 0) || has_pending_signals(tid))
        return false;
      th.regs = o.task->regs();
      th.xstate = o.task->xstate();
      ptrace(PTRACE_GETSIGMASK, tid, sizeof(uint64_t), &th.sigmask);
      places.push_back({o.rec_tid, o.rewound_call});
    }
    req.other_threads.push_back(std::move(th));
  }
  req.blobs.emplace_back(kThreadsBlob, thread_places_blob(places));
  return true;
}

bool RecordSession::take_our_sigstop(RecordedTask& o) {
  Task& t = *o.task;
  for (;;) {
    t.cont();
    TaskStop s = t.wait();
    if (s.kind == TaskStop::Kind::Signal && s.sig == SIGSTOP) {
      o.interrupt_sent = false;
      return true;
    }
    siginfo_t si{};
    if (s.kind == TaskStop::Kind::Signal) si = t.siginfo();
    if (s.kind != TaskStop::Kind::Signal || is_synchronous_fault(s.sig, si)) {
      pending_stops_.emplace_back(t.tid(), s.raw_status);  // our SIGSTOP still to come
      return false;
    }
    // Another signal on the way out (dequeued first: a lower number): held back like any
    // asynchronous one, raised again at the thread's next syscall. One we raised already is
    // in the list: it only needs raising again.
    if (o.deferred_raised && is_reraised(o, si, s.sig))
      o.deferred_raised = false;
    else
      hold_back(o, si);
  }
}

void RecordSession::hold_back(RecordedTask& rt, const siginfo_t& si) {
  if (rt.deferred.empty()) rt.deferred_since_ns = now_ns();
  rt.deferred.push_back(si);
  ++deferred_count_;
}

bool RecordSession::stop_waiting_thread(RecordedTask& o) {
  Task& t = *o.task;
  o.interrupt_sent = true;
  syscall(SYS_tgkill, t.tgid(), t.tid(), SIGSTOP);
  TaskStop s = t.wait();
  if (s.kind != TaskStop::Kind::SyscallStop) {
    pending_stops_.emplace_back(t.tid(), s.raw_status);  // for the main loop
    return false;
  }
  int64_t rax = static_cast<int64_t>(t.regs().rax);
  if (!is_restart_result(rax)) {
    // It completed meanwhile. Our SIGSTOP is taken now (delivered on the way out, before any
    // app code): it then waits at that stop for its turn, its result in rax, and can still be
    // saved as waiting in the call (ProcessCapture::as_entered).
    o.completed = true;
    o.state = RecordedTask::State::Ready;
    ready_.push_back(t.tid());
    take_our_sigstop(o);
    return false;
  }
  if (!take_our_sigstop(o)) return false;
  Registers r = t.regs();
  rewind_to_syscall(r);
  t.set_regs(r);
  o.rewound_call = o.call.nr;  // makes it again when it runs: replay parks it there
  o.entered = false;
  o.completed = false;
  o.at_boundary = false;
  o.state = RecordedTask::State::Ready;
  ready_.push_back(t.tid());
  return true;
}

bool RecordSession::other_processes_checkpointable(RecordedTask& rt,
                                                   std::vector<ProcessCapture>& out) {
  std::map<pid_t, std::vector<RecordedTask*>> by_process;
  for (auto& [tid, o] : tasks_)
    if (o.task->tgid() != rt.task->tgid()) by_process[o.task->tgid()].push_back(&o);
  for (auto& [tgid, members] : by_process) {
    RecordedTask* capturer = nullptr;
    for (RecordedTask* o : members)
      if (o->state == RecordedTask::State::Ready && !o->completed && !o->resume_sig &&
          !o->interrupt_sent && (o->at_boundary || o->rewound_call >= 0) && o->deferred.empty() &&
          !has_pending_signals(o->task->tid()))
        capturer = o;
    for (RecordedTask* o : members) {
      if (capturer) break;
      if (o->entered && !o->completed && o->call.mode == ReplayMode::Emulate &&
          o->state == RecordedTask::State::InSyscall && stop_waiting_thread(*o))
        capturer = o;
    }
    bool as_entered = false;
    for (RecordedTask* o : members) {
      if (capturer) break;
      if (o->entered && o->completed && o->call.mode == ReplayMode::Emulate &&
          !o->entry_xstate.empty() && o->state == RecordedTask::State::Ready &&
          !o->interrupt_sent && !o->resume_sig && o->deferred.empty() &&
          !has_pending_signals(o->task->tid())) {
        capturer = o;
        as_entered = true;
      }
    }
    if (!capturer) return false;
    ProcessCapture pc;
    pc.capturer = capturer;
    pc.as_entered = as_entered;
    if (!other_threads_checkpointable(*capturer, pc.req,
                                      as_entered ? capturer->call.nr : capturer->rewound_call))
      return false;
    out.push_back(std::move(pc));
  }
  return true;
}

void RecordSession::fill_request(RecordedTask& capturer, uint64_t seq, CheckpointRequest& req) {
  req.seq = seq;
  req.clear_child_tid = capturer.clear_child_tid;
  std::vector<uint8_t> blob;
  capturer.proc->serialize(blob);
  req.blobs.emplace_back("process", blob);
  req.blobs.emplace_back(kLinksBlob, TreeLinks::capture(capturer.task->tgid()).serialize());
  for (const auto& p : registry_.plugins()) {
    p->save_state(blob);
    req.blobs.emplace_back(p->name(), blob);
  }
}

void RecordSession::capture_as_entered(RecordedTask& o, const CheckpointRequest& req) {
  // Saved in its state at the call's entry, then given its completed state back.
  Task& c = *o.task;
  const Registers live = c.regs();
  const std::vector<uint8_t> live_xstate = c.xstate();
  uint64_t live_mask = 0;
  ptrace(PTRACE_GETSIGMASK, c.tid(), sizeof(uint64_t), &live_mask);
  Registers entry = o.entry_regs;
  rewind_to_syscall(entry);
  c.set_regs(entry);
  c.set_xstate(o.entry_xstate);
  ptrace(PTRACE_SETSIGMASK, c.tid(), sizeof(uint64_t), &o.entry_sigmask);
  auto give_back = [&] {
    c.set_regs(live);
    c.set_xstate(live_xstate);
    ptrace(PTRACE_SETSIGMASK, c.tid(), sizeof(uint64_t), &live_mask);
  };
  try {
    checkpoints_->capture(c, req);
  } catch (...) {
    give_back();
    throw;
  }
  give_back();
}

void RecordSession::take_checkpoint(RecordedTask& rt, uint64_t seq, bool before_next_syscall,
                                    CheckpointRequest req, std::vector<ProcessCapture> processes) {
  Task& t = *rt.task;
  if (checkpoint_must_wait(rt, processes)) {  // the request stays: taken later
    t.cont();
    return;
  }
  g_checkpoint_requested = 0;
  uint64_t now = now_ns();
  try {  // what a live restart needs besides (timers, limits, pending signals, deleted files)
    req.blobs.emplace_back(kLiveKernelStateBlob,
                           capture_live_kernel_state(t, store_.get()).serialize());
  } catch (const std::exception& e) {
    // Without it a restart would silently lose timers and files: no checkpoint this time.
    t.cont();
    std::cerr << "ckrr: checkpoint after event " << seq << " failed: " << e.what() << "\n";
    next_checkpoint_ns_ = now_ns() + opt_.checkpoint_interval_ns;
    return;
  }
  for (const auto& p : registry_.plugins()) p->pre_checkpoint();
  fill_request(rt, seq, req);
  // Taken while a syscall was interrupted: the state is past event `seq`, at the `syscall`
  // instruction of the next event. Replay uses it only for later events.
  if (before_next_syscall) req.blobs.emplace_back(kBeforeNextSyscallBlob, std::vector<uint8_t>{1});
  // Several processes: one checkpoint each, consecutive ids, the running one's last; all
  // captured before the running thread goes on.
  const uint32_t first = checkpoints_->next_id();
  const uint32_t count = static_cast<uint32_t>(processes.size() + 1);
  if (count > 1) {
    std::vector<uint8_t> g(3 * sizeof(uint32_t));
    uint32_t v[3] = {first, count, first + count - 1};
    memcpy(g.data(), v, sizeof v);
    req.blobs.emplace_back(kGroupBlob, g);
    for (ProcessCapture& pc : processes) {
      fill_request(*pc.capturer, seq, pc.req);
      pc.req.blobs.emplace_back(kGroupBlob, g);
      if (pc.as_entered) {  // its call's result, for a live restart (TreeLinks.h)
        const int64_t result = static_cast<int64_t>(pc.capturer->task->regs().rax);
        const auto* b = reinterpret_cast<const uint8_t*>(&result);
        pc.req.blobs.emplace_back(kEnteredResultBlob, std::vector<uint8_t>(b, b + sizeof result));
      }
    }
  }
  bool resumed = false;
  try {
    // Every snapshot first, then one publish of them all on the publishing thread.
    for (ProcessCapture& pc : processes) {
      if (pc.as_entered)
        capture_as_entered(*pc.capturer, pc.req);
      else
        checkpoints_->capture(*pc.capturer->task, pc.req);
    }
    checkpoints_->capture(t, req);
    t.cont();  // the app runs while the pages are read, synced and the manifests published
    resumed = true;
    publishing_->start(seq, now);
  } catch (const std::exception& e) {
    // A checkpoint that fails costs the seek speed-up, not the recording (a group missing a
    // member is not used by replay).
    checkpoints_->abandon();
    if (!resumed) t.cont();
    std::cerr << "ckrr: checkpoint after event " << seq << " failed: " << e.what() << "\n";
  }
  for (const auto& p : registry_.plugins()) p->resume();
  next_checkpoint_ns_ = now_ns() + opt_.checkpoint_interval_ns;
  single_after_group_ = count > 1;
}

bool RecordSession::one_process() const {
  for (const auto& [tid, rt] : tasks_)
    if (rt.task->tgid() != tasks_.begin()->second.task->tgid()) return false;
  return true;
}

bool RecordSession::periodic_checkpoint_due() const {
  return opt_.checkpoint_interval_ns &&
         now_ns() >= std::max(next_checkpoint_ns_, publishing_->not_before());
}

uint64_t RecordSession::slow_tick_ns() const {
  return std::clamp<uint64_t>(opt_.checkpoint_interval_ns / 4, 10000000ull, 250000000ull);
}

bool RecordSession::checkpoint_must_wait(RecordedTask& rt,
                                         const std::vector<ProcessCapture>& processes) {
  std::vector<pid_t> tgids{rt.task->tgid()};
  for (const ProcessCapture& pc : processes) tgids.push_back(pc.capturer->task->tgid());
  return publishing_->must_wait(tgids, now_ns());
}

std::optional<int64_t> RecordSession::virtual_result(const RecordedTask& rt, long nr) const {
  switch (nr) {
    case SYS_getpid:
      return ids_.virtual_pid;
    case SYS_gettid:
    case SYS_set_tid_address:
      return rt.rec_tid;  // restored threads: the recorded tid; later ones: their own
    case SYS_getppid:
      if (virtual_ppid_ > 0) return virtual_ppid_;
      return std::nullopt;
  }
  return std::nullopt;
}

bool RecordSession::deliver_deferred(RecordedTask& rt) {
  if (rt.deferred.empty()) return false;
  // Re-raise the first one (once): its delivery stop comes at once, at this boundary.
  if (!rt.deferred_raised) {
    rt.deferred_raised = true;
    syscall(SYS_tgkill, rt.task->tgid(), rt.task->tid(), rt.deferred.front().si_signo);
  }
  rt.task->cont();
  return true;
}

void RecordSession::on_gone(RecordedTask& rt, int raw_status) {
  const pid_t tid = rt.task->tid();
  const pid_t tgid = rt.task->tgid();
  const pid_t rec_tid = rt.rec_tid;
  const pid_t rec_pid = rt.proc->recorded_pid;
  const bool leader = tid == tgid;
  if (!app_traces_.empty())  // the kernel reports a child's end to its parent's wait itself
    app_traces_.gone(rec_tid, rec_pid, leader, raw_status, processes_[rec_pid].ppid);
  if (runner_ == tid) runner_ = 0;
  job_stopped_.erase(tid);
  tasks_.erase(tid);
  if (!leader) return;
  // The process is gone (its leader is reported last).
  Event ev;
  ev.kind = EventKind::Exit;
  ev.nr = 0;
  ev.result = raw_status;
  ev.tid = rec_tid;
  emit(ev);
  processes_[rec_pid].status = raw_status;
  if (tid == main_tid_) {
    main_ended_.store(true);
    main_ended_ns_ = now_ns();
    if (WIFEXITED(raw_status))
      exit_code_ = WEXITSTATUS(raw_status);
    else if (WIFSIGNALED(raw_status))
      exit_code_ = 128 + WTERMSIG(raw_status);
    index_->set_meta("exit_status", std::to_string(raw_status));
    if (!tasks_.empty() && ended_by_.empty()) {
      std::set<pid_t> left;
      for (const auto& [t, o] : tasks_) left.insert(o.proc->recorded_pid);
      std::cerr << "ckrr: the program ended; still recording the " << left.size()
                << " process(es) it left behind, until they end, all wait 2 s with nothing"
                   " happening, or 10 s have passed (then they are killed); kill -TERM "
                << getpid() << " ends the recording now\n";
    }
  }
  if (tasks_.empty()) done_ = true;
}

void RecordSession::finish() {
  if (publishing_) publishing_->finish(now_ns());  // whole or absent: waits for the publish
  watchdog_.reset();
  uint64_t duration = now_ns();
  log_->close();
  index_->set_meta("duration_ns", std::to_string(duration));
  index_->set_meta("events", std::to_string(next_seq_ - 1));
  index_->set_meta("deferred_signals", std::to_string(deferred_count_));
  index_->set_meta("preemptions",
                   std::to_string(preempt_spin_ + preempt_forced_ + preempt_at_syscall_));
  index_->set_meta("preemptions_at_syscall", std::to_string(preempt_at_syscall_));
  index_->set_meta("preemptions_counted", std::to_string(preempt_counted_));
  index_->set_meta("preemptions_registers", std::to_string(preempt_registers_));
  index_->set_meta("preemptions_spin", std::to_string(preempt_spin_));
  index_->set_meta("preemptions_forced", std::to_string(preempt_forced_));
  index_->set_meta("located_signals", std::to_string(located_signals_));
  index_->set_meta("located_counted", std::to_string(located_counted_));
  index_->set_meta("skipped_checkpoints", std::to_string(skipped_checkpoints_));
  index_->set_meta("write_waits", std::to_string(writes_.waits()));
  index_->set_meta("writes_entered", std::to_string(writes_.entered()));
  index_->set_meta("write_holders_stopped", std::to_string(stopped_write_holders_));
  index_->set_meta("processes", std::to_string(processes_.size()));
  if (!conservative_.empty()) index_->set_meta("conservative_calls", counts_text(conservative_));
  if (!not_emulated_.empty()) index_->set_meta("not_emulated_calls", counts_text(not_emulated_));
  index_->set_meta("agent", agent_.enabled() ? "on" : "off");
  index_->set_meta("syscalls_by_process", agent_.counts_text());
  for (const auto& [pid, p] : processes_)
    index_->set_meta(
        "process." + std::to_string(pid),
        "ppid=" + std::to_string(p.ppid) + " status=" + std::to_string(p.status) + " exe=" + p.exe);
  for (const auto& [tid, th] : threads_) {
    ThreadRow row;
    row.tid = tid;
    row.pid = th.pid;
    row.name = th.name;
    row.first_seq = th.first_seq;
    row.last_seq = th.last_seq;
    index_->add_thread(row);
  }
  if (!ended_by_.empty()) index_->set_meta("ended_by", ended_by_);
  index_->finalize();       // marks the index complete...
  if (!failure_.empty()) {  // ...but the recording is not
    index_->set_meta("stopped_because", failure_);
    index_->set_meta("complete", "0");
  }
  if (!opt_.quiet && failure_.empty())
    std::cerr << "ckrr: recorded " << next_seq_ - 1 << " events to " << trace_->dir().string()
              << "\n";
}

}  // namespace ckrr
