#include "recorder/LiveSession.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <x86intrin.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>

#include "checkpoint/CheckpointRestorer.h"
#include "core/Error.h"
#include "core/ExecSetup.h"
#include "core/ProcessLauncher.h"
#include "core/ScratchPage.h"
#include "core/SeccompFilter.h"
#include "core/TscInstruction.h"
#include "plugins/PluginRegistry.h"
#include "plugins/ProcessState.h"
#include "plugins/SignalClass.h"
#include "recorder/FdReopener.h"
#include "recorder/ProcessRestart.h"
#include "recorder/TreeRestart.h"
#include "storage/LaunchInfo.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

namespace {

// The real parent of process pid (/proc/PID/stat), or 0.
pid_t parent_of(pid_t pid) {
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
  size_t close_paren = text.rfind(')');
  if (close_paren == std::string::npos || close_paren + 4 > text.size()) return 0;
  return static_cast<pid_t>(atoi(text.c_str() + close_paren + 4));  // after ") S "
}

volatile sig_atomic_t g_forward_signal = 0;
void on_forwarded_signal(int sig) {
  g_forward_signal = sig;
}

// A trapped rdtsc/rdtscp (PR_SET_TSC survives the restore, and children inherit it), executed
// for t: same machine, same TSC, the supervisor's reading is the program's. False when the
// SIGSEGV is something else.
bool emulate_tsc(Task& t) {
  if (t.siginfo().si_code != SI_KERNEL) return false;
  Registers r = t.regs();
  int len = tsc_insn_len(t, r.rip);
  if (!len) return false;
  unsigned aux = 0;
  uint64_t tsc = len == 2 ? __rdtsc() : __rdtscp(&aux);
  r.rax = tsc & 0xffffffffu;
  r.rdx = tsc >> 32;
  if (len == 3) r.rcx = aux;
  r.rip += len;
  t.set_regs(r);
  return true;
}

}  // namespace

LiveSession::LiveSession(LiveOptions opt) : opt_(std::move(opt)) {}

LiveSession::~LiveSession() {
  // A failure half-way leaves no restored process running unsupervised.
  if (!tasks_.empty() && !done_) kill_all();
}

void LiveSession::kill_all() {
  std::vector<Task*> all;
  for (auto& [tid, t] : tasks_) all.push_back(t.get());
  kill_and_collect(all);
  tasks_.clear();
}

int LiveSession::run() {
  restore();
  loop();
  return exit_code_;
}

void LiveSession::restore() {
  signal(SIGPIPE, SIG_IGN);
  // The program is in our process group: ^C and ^\ reach it directly and it decides.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_forwarded_signal;  // no SA_RESTART: waitpid returns to forward it
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  RestartedTree tree = restart_tree(opt_.trace_dir, opt_.checkpoint);
  pid_ = tree.procs.front().task->tgid();
  for (RestartedProcess& r : tree.procs) {
    procs_[r.task->tgid()] = Proc{r.ids, r.virtual_ppid};
    tasks_[r.task->tid()] = std::move(r.task);
    for (auto& th : r.threads) {
      const pid_t tid = th->tid();
      tasks_[tid] = std::move(th);
    }
  }
}

void LiveSession::loop() {
  // Every restored thread waits at a stop of the restore: resume without its signal.
  for (auto& [tid, t] : tasks_) t->cont();
  while (!done_) {
    int status = 0;
    pid_t r = waitpid(-1, &status, __WALL);
    if (r < 0) {
      if (errno != EINTR) throw Error(errno_text("waitpid", errno));
      if (int sig = g_forward_signal) {
        g_forward_signal = 0;
        for (const auto& [pid, p] : procs_) kill(pid, sig);
      }
      continue;
    }
    auto it = tasks_.find(r);
    if (it == tasks_.end()) {
      // A thread the program created (traced by PTRACE_O_TRACECLONE, its first stop a
      // SIGSTOP) is supervised like the others; tgkill with signal 0 tells whether it is one.
      pid_t owner = 0;
      if (WIFSTOPPED(status))
        for (const auto& [pid, p] : procs_)
          if (syscall(SYS_tgkill, pid, r, 0) == 0) owner = pid;
      if (owner) {
        it = tasks_.emplace(r, std::make_unique<Task>(r, owner)).first;
      } else {
        // A child process (or a thread of one): let it run, unsupervised in effect.
        if (WIFSTOPPED(status)) {
          int sig = WSTOPSIG(status);
          bool pass = sig != SIGTRAP && sig != SIGSTOP && (status >> 16) == 0;
          if (pass && sig == SIGSEGV) {  // ld.so reads the TSC at every program's start
            Task child(r, r);
            if (emulate_tsc(child)) pass = false;
          }
          ptrace(PTRACE_CONT, r, nullptr, pass ? sig : 0);
        }
        continue;
      }
    }
    dispatch(*it->second, TaskStop::decode(r, status));
  }
}

void LiveSession::dispatch(Task& t, const TaskStop& s) {
  switch (s.kind) {
    case TaskStop::Kind::Seccomp:
      on_syscall(t);
      break;
    case TaskStop::Kind::Signal:
      on_signal(t, s.sig);
      break;
    case TaskStop::Kind::Exec:
      on_exec(t);
      break;
    case TaskStop::Kind::SyscallStop:
      if (pending_.count(t.tid()))
        finish_call(t);
      else
        t.cont();
      break;
    case TaskStop::Kind::Exited:
    case TaskStop::Kind::Killed:
      gone(t, s.raw_status);
      break;
    default:
      t.cont();
      break;
  }
}

void LiveSession::skip_with_result(Task& t, int64_t result) {
  Registers r = t.regs();
  r.orig_rax = static_cast<uint64_t>(-1);  // the kernel skips the call and returns rax
  r.rax = static_cast<uint64_t>(result);
  t.set_regs(r);
  t.cont();
}

void LiveSession::run_with_args(Task& t, const Registers& original, const Registers& changed,
                                std::optional<int64_t> result_override, bool result_is_pid,
                                uint64_t siginfo_addr) {
  t.set_regs(changed);
  pending_[t.tid()] = Pending{original, result_override, result_is_pid, siginfo_addr};
  t.resume_syscall();
}

void LiveSession::finish_call(Task& t) {
  const Pending p = pending_[t.tid()];
  pending_.erase(t.tid());
  const VirtualIds& ids = procs_[t.tgid()].ids;
  Registers after = t.regs();
  Registers fixed = p.original;
  int64_t result = static_cast<int64_t>(after.rax);
  if (p.result_override) result = *p.result_override;
  if (p.result_is_pid && result > 0) result = ids.to_virtual(static_cast<pid_t>(result));
  if (p.siginfo_addr && result == 0) {
    siginfo_t si{};
    try {
      t.read(p.siginfo_addr, &si, sizeof si);
      if (si.si_pid) {
        si.si_pid = ids.to_virtual(si.si_pid);
        t.write(p.siginfo_addr, &si, sizeof si);
      }
    } catch (const Error&) {
      // A bad pointer: the kernel said EFAULT already.
    }
  }
  fixed.rax = static_cast<uint64_t>(result);
  fixed.rip = after.rip;
  fixed.rcx = after.rcx;  // the syscall instruction clobbers rcx and r11
  fixed.r11 = after.r11;
  fixed.orig_rax = after.orig_rax;  // keeps -ERESTART* restarts working
  t.set_regs(fixed);
  t.cont();
}

void LiveSession::on_syscall(Task& t) {
  const Registers regs = t.regs();
  const long nr = static_cast<long>(regs.orig_rax);
  Proc& proc = procs_[t.tgid()];
  const VirtualIds& ids = proc.ids;
  Registers changed = regs;
  bool any = ids.translate_args(t, nr, changed);
  switch (nr) {
    case SYS_getpid:
      skip_with_result(t, ids.virtual_pid);
      return;
    case SYS_gettid:
      skip_with_result(t, ids.tid_to_virtual(t.tid()));
      return;
    case SYS_getppid: {
      // A restored parent answers with its recorded pid; a parent outside the restored
      // processes (ckrr restart, for a root) with the recorded one (the recorder for the
      // recorded program).
      const pid_t real_ppid = parent_of(t.tgid());
      if (procs_.count(real_ppid)) {
        skip_with_result(t, ids.to_virtual(real_ppid));
        return;
      }
      if (proc.virtual_ppid) {
        skip_with_result(t, proc.virtual_ppid);
        return;
      }
      break;
    }
    case SYS_set_tid_address:
      run_with_args(t, regs, regs, ids.tid_to_virtual(t.tid()));
      return;
    case SYS_rseq:
      skip_with_result(t, -ENOSYS);
      return;
    case SYS_wait4:
      // The children restored with the process are its real children: name them by their
      // real pids for the kernel, and give back the recorded one.
      changed.rdi =
          static_cast<uint64_t>(static_cast<int64_t>(ids.to_real(static_cast<pid_t>(regs.rdi))));
      run_with_args(t, regs, changed, std::nullopt, true);
      return;
    case SYS_waitid:
      if (regs.rdi == P_PID || regs.rdi == P_PGID)
        changed.rsi = static_cast<uint64_t>(ids.to_real(static_cast<pid_t>(regs.rsi)));
      run_with_args(t, regs, changed, std::nullopt, false, regs.rdx);
      return;
    case SYS_getpgrp:
    case SYS_getpgid:
    case SYS_getsid:
      run_with_args(t, regs, changed, std::nullopt, true);
      return;
    default:
      break;
  }
  if (any) {
    run_with_args(t, regs, changed, std::nullopt);
    return;
  }
  t.cont();
}

void LiveSession::on_signal(Task& t, int sig) {
  if (sig == SIGSEGV && emulate_tsc(t)) {
    t.cont();
    return;
  }
  // As when recording: a stop signal would leave a ptraced process in a state this loop does
  // not manage.
  if (is_stop_signal(sig)) {
    t.cont();
    return;
  }
  t.cont(sig);
}

void LiveSession::on_exec(Task& t) {
  // A new program: give it ckrr's scratch page and hidden vDSO again, as the recorder does.
  // The kernel ended any other threads (their exits were or will be collected by the loop) and
  // the caller now has the pid as its tid: the one thread left.
  for (auto it = tasks_.begin(); it != tasks_.end();)
    it = it->second->tgid() != t.tgid() || it->first == t.tgid() ? std::next(it) : tasks_.erase(it);
  procs_[t.tgid()].ids.tids.clear();
  t.resume_syscall();
  TaskStop s = t.wait();
  if (s.gone()) {
    gone(t, s.raw_status);
    return;
  }
  t.reopen_mem();
  if (s.kind == TaskStop::Kind::SyscallStop) prepare_exec(t, std::nullopt);
  t.cont();
}

void LiveSession::gone(Task& t, int raw_status) {
  const pid_t tid = t.tid();
  tasks_.erase(tid);  // t is gone with it
  pending_.erase(tid);
  if (!procs_.erase(tid)) return;
  // The session ends with the last restored process (none is left running untraced under the
  // recording's filter); its status is the root's.
  done_ = procs_.empty();
  if (tid != pid_) return;
  if (WIFEXITED(raw_status))
    exit_code_ = WEXITSTATUS(raw_status);
  else if (WIFSIGNALED(raw_status))
    exit_code_ = 128 + WTERMSIG(raw_status);
}

}  // namespace ckrr
