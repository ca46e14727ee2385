#include "recorder/RecordSession.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "core/Error.h"
#include "core/ExecSetup.h"
#include "core/FileIdentity.h"
#include "core/OwnTscTrap.h"
#include "core/ProcessLauncher.h"
#include "core/ScratchPage.h"
#include "core/SeccompFilter.h"
#include "core/SyscallNames.h"
#include "plugins/EventSummary.h"
#include "plugins/SignalClass.h"
#include "recorder/ProcessRestart.h"
#include "storage/LaunchInfo.h"

extern char** environ;

namespace ckrr {

namespace {

volatile sig_atomic_t g_terminate = 0;
volatile sig_atomic_t g_checkpoint_requested = 0;
void on_terminate(int) {
  g_terminate = 1;
}
void on_checkpoint_request(int) {
  g_checkpoint_requested = 1;
}

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

bool has_pending_signals(pid_t tid) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if ((line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) &&
        line.find_first_not_of("0\t ", 7) != std::string::npos)
      return true;
  return false;
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
  if (task_ && !done_) kill(task_->tid(), SIGKILL);
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

void RecordSession::finish_skipped(Task&) {
  throw Error("internal: finish_skipped is a replay operation");
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
    if (task_ && !done_) {
      kill(task_->tid(), SIGKILL);
      int st;
      while (waitpid(task_->tid(), &st, __WALL) < 0 && errno == EINTR) {
      }
      done_ = true;
    }
  }
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
  return exit_code_;
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
  struct sigaction sa {};
  sa.sa_handler = on_terminate;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  struct sigaction ck {};
  ck.sa_handler = on_checkpoint_request;
  sigaction(SIGUSR2, &ck, nullptr);  // `ckrr checkpoint TRACE` or kill -USR2: one now
  signal(SIGINT, SIG_IGN);           // the app, in the same process group, decides what ^C does
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);

  LaunchInfo li;
  if (opt_.restart_from) {
    start_restarted(li);
  } else {
    LaunchOptions lo;
    lo.path = program_;
    lo.argv = opt_.argv;
    for (char** e = environ; *e; ++e) lo.envp.push_back(*e);
    lo.filter = build_seccomp_filter(registry_.allowed_syscalls());
    lo.cpu = pin_to_current_cpu();
    lo.ignored_signals = ignored;
    lo.blocked_signals = blocked;
    start_ns_ = monotonic_ns();
    pid_t pid = launch_traced(lo);
    task_ = std::make_unique<Task>(pid, pid);
    proc_.recorded_pid = pid;
    proc_.real_pid = pid;
    proc_.reset_std_fds();
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
  checkpoints_ = std::make_unique<CheckpointWriter>(trace_->checkpoints_dir());
  next_checkpoint_ns_ = opt_.checkpoint_interval_ns;
  if (opt_.restart_from) {
    // The new trace starts from this state, not from an exec: checkpoint it first (this also
    // resumes the process).
    index_->set_meta("starts_from_checkpoint", "1");
    take_checkpoint(*task_, 0, false);
    return;
  }
  task_->cont();
}

void RecordSession::start_restarted(LaunchInfo& li) {
  RestartedProcess r = restart_from_checkpoint(*opt_.restart_from, opt_.restart_checkpoint);
  start_ns_ = monotonic_ns();
  li = r.launch;  // the program, its environment and its (virtual) pid stay the recorded ones
  program_ = li.path;
  task_ = std::move(r.task);
  proc_ = r.proc;
  proc_.real_pid = task_->tid();
  ids_ = r.ids;
  virtual_ppid_ = r.virtual_ppid;
  for (const auto& p : registry_.plugins())
    if (const std::vector<uint8_t>* b = r.manifest.blob(p->name())) p->restore_state(*b);
  index_->set_meta("restarted_from", std::filesystem::absolute(*opt_.restart_from).string());
  index_->set_meta("restarted_from_checkpoint", std::to_string(r.checkpoint));
}

void RecordSession::loop() {
  trap_own_tsc();  // ptrace stops cost 2.5x less when both sides trap rdtsc (OwnTscTrap.h)
  Task& t = *task_;
  while (!done_) {
    int status = 0;
    pid_t r = waitpid(t.tid(), &status, __WALL);
    if (r < 0) {
      if (errno != EINTR) throw Error(errno_text("waitpid", errno));
      if (g_terminate && failure_.empty()) stop_app("ckrr received SIGTERM/SIGHUP");
      continue;
    }
    TaskStop s = TaskStop::decode(r, status);
    switch (s.kind) {
      case TaskStop::Kind::Seccomp:
        on_syscall(t);
        break;
      case TaskStop::Kind::Signal:
        on_signal(t, s.sig);
        break;
      case TaskStop::Kind::Exited:
      case TaskStop::Kind::Killed:
        on_gone(t, status);
        break;
      default:
        // Stops this version does not act on (group stops...): let the task go on.
        t.cont();
        break;
    }
  }
}

void RecordSession::stop_app(const std::string& why) {
  if (failure_.empty()) failure_ = why;
  kill(task_->tid(), SIGKILL);
}

void RecordSession::emit(Event& ev) {
  ev.seq = next_seq_++;
  if (ev.tid == 0) ev.tid = proc_.recorded_pid;
  ev.time_ns = now_ns();
  log_->append(ev, summarize_event(ev));
  if (log_->failed() && failure_.empty()) stop_app("writing the trace failed: " + log_->error());
}

void RecordSession::on_syscall(Task& t) {
  const Registers regs = t.regs();
  long nr = static_cast<long>(regs.orig_rax);
  Event ev;
  ev.kind = EventKind::Syscall;
  ev.nr = static_cast<int32_t>(nr);
  ev.tid = proc_.recorded_pid;
  uint64_t args[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  std::copy(args, args + 6, ev.args);
  ev.add_blob(blob::kIp, &regs.rip, sizeof regs.rip);
  Plugin* plugin = registry_.owner(nr);
  if (!plugin) {
    stop_app("unsupported syscall " + syscall_display_name(nr) + " (number " + std::to_string(nr) +
             ")");
    t.cont();
    return;
  }
  ev.mode = registry_.default_mode(nr);
  SyscallContext ctx{t, proc_, *this, ev, static_cast<int>(nr)};
  std::copy(args, args + 6, ctx.args);
  try {
    plugin->record_entry(ctx);
  } catch (const Unsupported& u) {
    stop_app(std::string("unsupported: ") + u.what() + ", in " + syscall_display_name(nr));
    t.cont();
    return;
  }
  if (nr == SYS_exit_group || nr == SYS_exit) {
    emit(ev);
    t.cont();
    return;
  }
  if (nr == SYS_execve || nr == SYS_execveat) {
    on_exec(t, ev);
    return;
  }
  if (ctx.skip) {
    Registers r = regs;
    r.orig_rax = static_cast<uint64_t>(-1);
    r.rax = static_cast<uint64_t>(ctx.forced_result);
    t.set_regs(r);
    ctx.result = ctx.forced_result;
    plugin->record_exit(ctx);
    ev.result = ctx.result;
    emit(ev);
    last_exit_regs_ = t.regs();
    at_boundary_ = true;
    resume_after_event(t, ev);
    return;
  }
  // A restarted process keeps its recorded ids: the kernel gets the real ones.
  Registers for_kernel = regs;
  bool translated = ids_.translate_args(t, nr, for_kernel);
  if (translated) t.set_regs(for_kernel);
  t.resume_syscall();
  // The call may block for long: a checkpoint request or SIGTERM must not wait for it.
  bool kicked = false;
  TaskStop s = t.wait_interruptible([&] {
    if (g_terminate && failure_.empty()) stop_app("ckrr received SIGTERM/SIGHUP");
    if (g_checkpoint_requested && !kicked && failure_.empty()) {
      kicked = true;
      syscall(SYS_tgkill, t.tgid(), t.tid(), SIGSTOP);
    }
  });
  if (s.gone()) {
    on_gone(t, s.raw_status);
    return;
  }
  if (s.kind != TaskStop::Kind::SyscallStop)
    throw Error("unexpected " + s.describe() + " during " + syscall_display_name(nr));
  int64_t rax = static_cast<int64_t>(t.regs().rax);
  if (translated || ids_.virtual_pid != ids_.real_pid) {
    Registers r = t.regs();
    r.rdi = regs.rdi, r.rsi = regs.rsi, r.rdx = regs.rdx, r.r10 = regs.r10, r.r8 = regs.r8,
    r.r9 = regs.r9;
    if (std::optional<int64_t> v = virtual_result(nr, rax)) r.rax = static_cast<uint64_t>(rax = *v);
    t.set_regs(r);
  }
  if (kicked && rax <= -512 && rax >= -516) {
    checkpoint_in_blocked_syscall(t);
    return;  // the call starts again and is recorded then
  }
  ctx.result = rax;
  plugin->record_exit(ctx);
  ev.result = ctx.result;
  emit(ev);
  last_exit_regs_ = t.regs();
  at_boundary_ = true;
  deliver_deferred(t);
  resume_after_event(t, ev);
}

void RecordSession::on_exec(Task& t, Event& ev) {
  bool at = ev.nr == SYS_execveat;
  ev.add_text(blob::kPath, t.read_string(at ? ev.args[1] : ev.args[0]));
  t.resume_syscall();
  TaskStop s = t.wait();
  if (s.gone()) {
    on_gone(t, s.raw_status);
    return;
  }
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
    std::string exe = std::filesystem::read_symlink("/proc/" + std::to_string(t.tid()) + "/exe");
    std::string stored = store_->save_path(exe);
    ev.add_text(blob::kStoredFile, stored);
    note_mapped_file(exe, stored, std::filesystem::file_size(exe));
    index_->set_meta("exe", exe);
    index_->set_meta("exe_stored", stored);
    index_->set_meta("exe_stat", file_identity(exe));
    std::string interp = interpreter_of(exe);
    if (!interp.empty()) {
      std::string istored = store_->save_path(interp);
      note_mapped_file(interp, istored, std::filesystem::file_size(interp));
      index_->set_meta("interp", interp);
      index_->set_meta("interp_stored", istored);
      index_->set_meta("interp_stat", file_identity(interp));
    }
    proc_.exec();
    for (const auto& p : registry_.plugins()) p->on_exec(proc_);
  } else {
    if (s.kind != TaskStop::Kind::SyscallStop)
      throw Error("unexpected " + s.describe() + " in exec");
    ev.result = static_cast<int64_t>(t.regs().rax);
    ev.mode = ReplayMode::Emulate;
  }
  emit(ev);
  last_exit_regs_ = t.regs();
  at_boundary_ = true;
  resume_after_event(t, ev);
}

void RecordSession::on_signal(Task& t, int sig) {
  siginfo_t si = t.siginfo();
  Event ev;
  ev.tid = proc_.recorded_pid;
  FaultContext fc{t, proc_, *this, ev, sig, si};
  for (const auto& p : registry_.plugins()) {
    if (p->record_fault(fc)) {
      emit(ev);
      t.cont();
      return;
    }
  }
  if (is_stop_signal(sig)) {  // the app cannot be stopped while recorded
    t.cont();
    return;
  }
  const Registers& regs = t.regs();
  bool fault = is_synchronous_fault(sig, si);
  bool boundary = at_boundary_ && same_position(regs, last_exit_regs_);
  if (!fault && !boundary) {
    // Asynchronous, arrived while app code ran: hold it until the next syscall returns, a point
    // replay can find exactly.
    deferred_.push_back(si);
    ++deferred_count_;
    t.cont();
    return;
  }
  if (!fault && si.si_code == SI_TKILL && si.si_pid == getpid() && !deferred_.empty() &&
      deferred_.front().si_signo == sig) {
    si = deferred_.front();  // one we re-raised: restore what the kernel first said
    deferred_.erase(deferred_.begin());
    t.set_siginfo(si);
  }
  ev.kind = EventKind::Signal;
  ev.mode = ReplayMode::Emulate;
  ev.nr = sig;
  ev.args[0] = fault ? 1 : 0;
  ev.args[1] = reinterpret_cast<uint64_t>(si.si_addr);
  ev.args[2] = regs.rip;
  ev.add_blob(blob::kSigInfo, &si, sizeof si);
  ev.add_blob(blob::kRegs, &regs, sizeof regs);
  emit(ev);
  at_boundary_ = false;
  t.cont(sig);
}

void RecordSession::resume_after_event(Task& t, const Event& ev) {
  uint64_t now = now_ns();
  bool due = g_checkpoint_requested || (opt_.checkpoint_interval_ns && now >= next_checkpoint_ns_);
  // A call the kernel is about to restart cannot be resumed from a checkpoint as is.
  bool restarting = ev.kind == EventKind::Syscall && ev.result <= -512 && ev.result >= -516;
  // Injecting the checkpoint's syscalls would let a pending signal be delivered mid-capture:
  // wait for a boundary without one.
  if (!due || restarting || !failure_.empty() || !deferred_.empty() ||
      has_pending_signals(t.tid())) {
    t.cont();
    return;
  }
  take_checkpoint(t, ev.seq, false);
}

void RecordSession::take_checkpoint(Task& t, uint64_t seq, bool before_next_syscall) {
  g_checkpoint_requested = 0;
  uint64_t now = now_ns();
  CheckpointRequest req;
  req.seq = seq;
  std::vector<uint8_t> blob;
  proc_.serialize(blob);
  req.blobs.emplace_back("process", blob);
  for (const auto& p : registry_.plugins()) {
    p->save_state(blob);
    req.blobs.emplace_back(p->name(), blob);
  }
  // Taken while a syscall was interrupted: the state is past event `seq`, at the `syscall`
  // instruction of the next event. Replay uses it only for later events.
  if (before_next_syscall) req.blobs.emplace_back(kBeforeNextSyscallBlob, std::vector<uint8_t>{1});
  bool resumed = false;
  try {
    checkpoints_->capture(t, req);
    t.cont();  // the app runs while the pages are synced and the manifest published
    resumed = true;
    CheckpointStats st = checkpoints_->publish();
    CheckpointRow row;
    row.id = st.id;
    row.seq = seq;
    row.time_ns = now;
    row.rss = st.rss;
    row.bytes_added = st.bytes_added;
    row.path = st.path;
    index_->add_checkpoint(row);
    ++checkpoint_count_;
  } catch (const std::exception& e) {
    // A checkpoint that fails costs the seek speed-up, not the recording.
    checkpoints_->abandon();
    if (!resumed) t.cont();
    std::cerr << "ckrr: checkpoint after event " << seq << " failed: " << e.what() << "\n";
  }
  next_checkpoint_ns_ = now_ns() + opt_.checkpoint_interval_ns;
}

std::optional<int64_t> RecordSession::virtual_result(long nr, int64_t) const {
  switch (nr) {
    case SYS_getpid:
    case SYS_gettid:
    case SYS_set_tid_address:
      return ids_.virtual_pid;
    case SYS_getppid:
      if (virtual_ppid_ > 0) return virtual_ppid_;
      return std::nullopt;
  }
  return std::nullopt;
}

void RecordSession::checkpoint_in_blocked_syscall(Task& t) {
  // Our SIGSTOP interrupted the call; at its delivery stop, rewind to the `syscall`
  // instruction ourselves (orig_rax = -1 keeps the kernel from rewinding again), checkpoint
  // there, and drop the SIGSTOP: the call is made again when the app resumes.
  t.resume_syscall();
  TaskStop s = t.wait();
  if (s.gone()) {
    on_gone(t, s.raw_status);
    return;
  }
  if (s.kind != TaskStop::Kind::Signal || s.sig != SIGSTOP)
    throw Error("unexpected " + s.describe() + " while interrupting a syscall for a checkpoint");
  Registers r = t.regs();
  r.rip -= 2;
  r.rax = r.orig_rax;
  r.orig_rax = static_cast<uint64_t>(-1);
  t.set_regs(r);
  at_boundary_ = false;
  take_checkpoint(t, next_seq_ - 1, true);
}

void RecordSession::deliver_deferred(Task& t) {
  if (deferred_.empty()) return;
  syscall(SYS_tgkill, t.tgid(), t.tid(), deferred_.front().si_signo);
}

void RecordSession::on_gone(Task&, int raw_status) {
  Event ev;
  ev.kind = EventKind::Exit;
  ev.nr = 0;
  ev.result = raw_status;
  emit(ev);
  done_ = true;
  if (WIFEXITED(raw_status))
    exit_code_ = WEXITSTATUS(raw_status);
  else if (WIFSIGNALED(raw_status))
    exit_code_ = 128 + WTERMSIG(raw_status);
  index_->set_meta("exit_status", std::to_string(raw_status));
}

void RecordSession::finish() {
  uint64_t duration = now_ns();
  log_->close();
  index_->set_meta("duration_ns", std::to_string(duration));
  index_->set_meta("events", std::to_string(next_seq_ - 1));
  index_->set_meta("deferred_signals", std::to_string(deferred_count_));
  ThreadRow th;
  th.tid = proc_.recorded_pid;
  th.pid = proc_.recorded_pid;
  th.name = std::filesystem::path(program_).filename().string();
  th.first_seq = 1;
  th.last_seq = next_seq_ - 1;
  index_->add_thread(th);
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
