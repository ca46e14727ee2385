#include "plugins/AppTraces.h"

#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <tuple>
#include <utility>

namespace ckrr {

namespace {
constexpr int stopped(int sig) {
  return (sig << 8) | 0x7f;
}
constexpr int event_stop(int sig, int event) {
  return stopped(sig | (event << 8));
}

int syscall_stop(const AppTraces::Tracee& t) {
  return stopped(SIGTRAP | ((t.options & PTRACE_O_TRACESYSGOOD) ? 0x80 : 0));
}
}  // namespace

AppTraces::Tracee* AppTraces::find(pid_t tid) {
  auto it = tracees_.find(tid);
  return it == tracees_.end() ? nullptr : &it->second;
}

pid_t AppTraces::tracer_of(pid_t tid) const {
  auto it = tracees_.find(tid);
  return it == tracees_.end() ? 0 : it->second.tracer;
}

void AppTraces::make_current(Tracee& t, const Stop& s) {
  t.stop = s;
  t.pending = true;
  t.resume = Resume::Stopped;
  notify(t.tracer);
  kills_.push_back({t.tracer, SIGCHLD});
}

std::vector<AppTraces::Kill> AppTraces::take_kills() {
  std::vector<Kill> out;
  out.swap(kills_);
  std::sort(out.begin(), out.end(), [](const Kill& a, const Kill& b) {
    return std::tie(a.pid, a.sig) < std::tie(b.pid, b.sig);
  });
  out.erase(
      std::unique(out.begin(), out.end(),
                  [](const Kill& a, const Kill& b) { return a.pid == b.pid && a.sig == b.sig; }),
      out.end());
  return out;
}

void AppTraces::notify(pid_t tracer) {
  auto p = parked_.find(tracer);
  if (p == parked_.end()) return;
  wakes_.push_back(p->second);
  parked_.erase(p);
}

void AppTraces::release(pid_t tid, Tracee& t) {
  if (t.held != Tracee::Held::No) wakes_.push_back(tid);
  t.held = Tracee::Held::No;
}

void AppTraces::kill(pid_t tid) {
  if (Tracee* t = find(tid)) kills_.push_back({t->process, SIGKILL});
}

void AppTraces::attach(pid_t tracer, pid_t tid, pid_t process, bool seize, uint64_t options) {
  Tracee& t = tracees_[tid];
  t = Tracee{};
  t.tracer = tracer;
  t.process = process;
  t.seized = seize;
  t.options = seize ? options : 0;
  // ATTACH stops it with a SIGSTOP; SEIZE leaves it running. It is held at its next syscall
  // boundary (it is not running app code now: under ckrr the tracer is the one that runs).
  if (!seize) make_current(t, {StopKind::Signal, stopped(SIGSTOP), 0});
}

void AppTraces::traceme(pid_t parent, pid_t tid, pid_t process) {
  Tracee& t = tracees_[tid];
  t = Tracee{};
  t.tracer = parent;
  t.process = process;
}

bool AppTraces::signal_stop(pid_t tid, int sig, const siginfo_t& si, const Registers& regs,
                            bool fault) {
  Tracee* t = find(tid);
  if (!t || sig == SIGKILL) return false;
  if (t->passing) {  // the one its tracer let through
    t->passing = false;
    return false;
  }
  t->regs = regs;
  t->siginfo = si;
  t->fault = fault;
  t->deliver = 0;
  t->pass = 0;
  t->held = Tracee::Held::AfterEvent;
  t->signal_delivery = true;
  make_current(*t, {StopKind::Signal, stopped(sig), 0});
  return true;
}

int AppTraces::resume_signal(pid_t tid, int sig) {
  Tracee* t = find(tid);
  if (!t || !t->deliver) return sig;
  return std::exchange(t->deliver, 0);
}

int AppTraces::take_pass(pid_t tid) {
  Tracee* t = find(tid);
  if (!t || !t->pass) return 0;
  t->passing = true;
  return std::exchange(t->pass, 0);
}

void AppTraces::interrupt(pid_t tid) {
  Tracee* t = find(tid);
  if (t && t->resume != Resume::Stopped)
    make_current(*t, {StopKind::Group, event_stop(SIGTRAP, PTRACE_EVENT_STOP), 0});
}

void AppTraces::resume(pid_t tid, Resume how, int sig) {
  Tracee* t = find(tid);
  if (!t) return;
  if (t->signal_delivery && t->stop.kind == StopKind::Signal) {
    (t->fault ? t->deliver : t->pass) = sig;
    if (!t->fault) t->deliver = 0;
  }
  t->signal_delivery = false;
  t->siginfo_set = false;
  t->resume = how;
  t->pending = false;  // a stop the tracer did not wait for is over too, as natively
  t->stop = {};
  while (!t->later.empty()) {
    Stop s = t->later.front();
    t->later.pop_front();
    if (s.kind == StopKind::SyscallExit && how != Resume::Syscall) continue;
    make_current(*t, s);
    return;
  }
  if (t->held == Tracee::Held::Entry || t->held == Tracee::Held::InCall) {
    // Held at a syscall's entry for another reason (its first stop, an interrupt): resumed to
    // its syscall stops, it reports this entry now.
    if (how == Resume::Syscall && !t->entry_reported) {
      t->entry_reported = true;
      t->entry_seen = true;
      make_current(*t, {StopKind::SyscallEntry, syscall_stop(*t), 0});
      return;
    }
    if (t->held == Tracee::Held::Entry) t->pass_entry = true;
  }
  t->entry_reported = false;
  t->result_writable = false;
  release(tid, *t);
}

void AppTraces::detach(pid_t tid) {
  Tracee* t = find(tid);
  if (!t) return;
  if (t->held == Tracee::Held::Entry) t->pass_entry = true;
  release(tid, *t);
  tracees_.erase(tid);
}

bool AppTraces::hold_at_entry(pid_t tid, const Registers& regs, bool in_call) {
  Tracee* t = find(tid);
  if (!t) return false;
  const long nr = static_cast<long>(regs.orig_rax);
  if (t->pass_entry) {
    t->pass_entry = false;
  } else {
    t->regs = regs;
    const Tracee::Held where = in_call ? Tracee::Held::InCall : Tracee::Held::Entry;
    if (t->resume == Resume::Stopped) {
      t->held = where;
      t->entry_reported = false;
      return true;
    }
    if (t->resume == Resume::Syscall) {
      t->held = where;
      t->entry_reported = true;
      t->entry_seen = true;
      make_current(*t, {StopKind::SyscallEntry, syscall_stop(*t), 0});
      return true;
    }
  }
  // PTRACE_O_TRACEEXIT: a thread that exits stops once more, its status as the message (a
  // death by signal gives none: ckrr does not report that stop).
  if ((nr == SYS_exit || nr == SYS_exit_group) && (t->options & PTRACE_O_TRACEEXIT) &&
      !t->exit_reported) {
    t->exit_reported = true;
    t->held = Tracee::Held::Entry;
    t->entry_reported = true;
    make_current(*t, {StopKind::Event, event_stop(SIGTRAP, PTRACE_EVENT_EXIT),
                      static_cast<unsigned long>((regs.rdi & 0xff) << 8)});
    return true;
  }
  return false;
}

bool AppTraces::hold(Tracee& t, std::deque<Stop> stops) {
  if (t.resume == Resume::Stopped) {  // stopped meanwhile (an interrupt): these come after
    t.held = Tracee::Held::AfterEvent;
    t.later.insert(t.later.end(), stops.begin(), stops.end());
    return true;
  }
  if (stops.empty()) return false;
  t.held = Tracee::Held::AfterEvent;
  Stop first = stops.front();
  stops.pop_front();
  t.later = std::move(stops);
  make_current(t, first);
  return true;
}

void AppTraces::fork_event(pid_t tid, std::deque<Stop>& stops) {
  auto fe = fork_events_.find(tid);
  if (fe == fork_events_.end()) return;
  if (Tracee* c = find(static_cast<pid_t>(fe->second.msg)))
    if (c->resume == Resume::Stopped && c->stop.kind != StopKind::None && !c->pending)
      make_current(*c, c->stop);  // the new task's first stop, now reportable
  stops.push_back(fe->second);
  fork_events_.erase(fe);
}

bool AppTraces::hold_at_exit(pid_t tid, const Registers& regs, bool result_writable) {
  Tracee* t = find(tid);
  if (!t || t->exit_passed) return false;
  t->exit_passed = true;
  t->regs = regs;
  t->result_writable = result_writable;
  std::deque<Stop> stops;
  fork_event(tid, stops);
  if (t->resume == Resume::Syscall) stops.push_back({StopKind::SyscallExit, syscall_stop(*t), 0});
  return hold(*t, std::move(stops));
}

bool AppTraces::hold_after_event(pid_t tid, const Event& ev, const Registers& regs) {
  Tracee* t = find(tid);
  if (!t) return false;
  const bool passed = t->exit_passed;
  t->exit_passed = false;
  const bool entry_seen = t->entry_seen;
  t->entry_seen = false;
  t->result_writable = false;
  t->regs = regs;
  std::deque<Stop> stops;
  if (ev.kind == EventKind::Exec) {
    if (t->options & PTRACE_O_TRACEEXEC)
      stops.push_back({StopKind::Event, event_stop(SIGTRAP, PTRACE_EVENT_EXEC),
                       static_cast<unsigned long>(ev.tid)});  // its tid before the exec
    else if (!t->seized)
      stops.push_back({StopKind::Signal, stopped(SIGTRAP), 0});
  }
  if (!passed) {
    // A call it could not be held at the entry of (one ckrr answers itself, a clone, an exec
    // in a process with threads): its entry stop comes now, before the rest.
    if (t->resume == Resume::Syscall && !entry_seen)
      stops.push_back({StopKind::SyscallEntry, syscall_stop(*t), 0});
    fork_event(tid, stops);
    if (t->resume == Resume::Syscall) stops.push_back({StopKind::SyscallExit, syscall_stop(*t), 0});
  }
  if (t->resume == Resume::Step) {
    if (t->step_armed) {  // a single step over a syscall instruction ends after the call
      t->step_armed = false;
      stops.push_back({StopKind::Step, stopped(SIGTRAP), 0});
    } else if (stops.empty()) {
      // Resumed by a single step from a stop at this call: it goes on through the scheduler,
      // which steps it (stepping).
      t->held = Tracee::Held::AfterEvent;
      wakes_.push_back(tid);
      return true;
    }
  }
  return hold(*t, std::move(stops));
}

bool AppTraces::stepping(pid_t tid) {
  Tracee* t = find(tid);
  if (!t || t->resume != Resume::Step) return false;
  t->step_armed = true;
  return true;
}

bool AppTraces::stepped(pid_t tid, const Registers& regs) {
  Tracee* t = find(tid);
  if (!t || !t->step_armed) return false;
  t->step_armed = false;
  t->regs = regs;
  t->held = Tracee::Held::AfterEvent;
  make_current(*t, {StopKind::Step, stopped(SIGTRAP), 0});
  return true;
}

void AppTraces::new_task(pid_t parent, pid_t child, uint64_t clone_flags) {
  Tracee* p = find(parent);
  if (!p) return;
  int event = PTRACE_EVENT_CLONE;
  uint64_t option = PTRACE_O_TRACECLONE;
  if (clone_flags & CLONE_VFORK) {
    event = PTRACE_EVENT_VFORK;
    option = PTRACE_O_TRACEVFORK;
  } else if ((clone_flags & CSIGNAL) == SIGCHLD ||
             !(clone_flags & (CLONE_THREAD | CSIGNAL | CLONE_VM))) {
    // (clone3 keeps the exit signal apart from the flags: a plain one is a fork)
    event = PTRACE_EVENT_FORK;
    option = PTRACE_O_TRACEFORK;
  }
  if (!(p->options & option)) return;
  Tracee& c = tracees_[child];
  c = Tracee{};
  c.tracer = p->tracer;
  c.process = (clone_flags & CLONE_THREAD) ? p->process : child;
  c.seized = p->seized;
  c.options = p->options;
  // Auto-attached: it starts stopped, with SIGSTOP (PTRACE_EVENT_STOP when seized). Its stop
  // is reported after its parent's event, as the kernel tends to (strace then knows it), except
  // for a vfork child: its parent waits for it.
  c.resume = Resume::Stopped;
  c.stop = {p->seized ? StopKind::Group : StopKind::Signal,
            p->seized ? event_stop(SIGTRAP, PTRACE_EVENT_STOP) : stopped(SIGSTOP), 0};
  if (clone_flags & CLONE_VFORK) make_current(c, c.stop);
  fork_events_[parent] = {StopKind::Event, event_stop(SIGTRAP, event),
                          static_cast<unsigned long>(child)};
}

void AppTraces::gone(pid_t tid, pid_t pid, bool leader, int raw_status, pid_t parent) {
  fork_events_.erase(tid);
  if (leader && parent) {
    const bool tracer = parked_.count(parent) ||
                        std::any_of(tracees_.begin(), tracees_.end(),
                                    [&](const auto& kv) { return kv.second.tracer == parent; });
    if (tracer) {
      zombies_[parent].insert(pid);
      notify(parent);
    }
  }
  if (Tracee* t = find(tid)) {
    if (leader && t->tracer == parent) {  // the kernel reports it
      tracees_.erase(tid);
    } else {
      t->later.clear();
      t->held = Tracee::Held::No;
      make_current(*t, {StopKind::Exited, raw_status, 0});
    }
  }
  if (!leader) return;
  // A tracer that ends lets its tracees go on, as the kernel detaches them; threads of the
  // ended process not reported gone are gone too.
  for (auto it = tracees_.begin(); it != tracees_.end();) {
    if (it->second.process == pid && !it->second.pending) {
      it = tracees_.erase(it);
    } else if (it->second.tracer == pid) {
      if (it->second.options & PTRACE_O_EXITKILL) kills_.push_back({it->second.process, SIGKILL});
      if (it->second.held == Tracee::Held::Entry) it->second.pass_entry = true;
      release(it->first, it->second);
      it = tracees_.erase(it);
    } else {
      ++it;
    }
  }
  parked_.erase(pid);
  zombies_.erase(pid);
}

void AppTraces::exec_ended(pid_t pid, pid_t exec_tid, const std::vector<pid_t>& others) {
  for (pid_t tid : others) {
    Tracee* t = find(tid);
    if (!t || tid == pid) continue;
    t->later.clear();
    t->held = Tracee::Held::No;
    make_current(*t, {StopKind::Exited, 0, 0});
  }
  if (exec_tid == pid) return;
  // The leader's death is not reported: the execing thread takes its tid.
  auto it = tracees_.find(exec_tid);
  if (it == tracees_.end()) {
    tracees_.erase(pid);
    return;
  }
  Tracee moved = it->second;
  tracees_.erase(it);
  tracees_[pid] = moved;
}

AppTraces::WaitAnswer AppTraces::wait(pid_t tracer, pid_t tracer_tid, pid_t pid, int options) {
  WaitAnswer a;
  bool may_stop = false;
  for (auto it = tracees_.begin(); it != tracees_.end(); ++it) {
    Tracee& t = it->second;
    if (t.tracer != tracer) continue;
    if (pid > 0 && pid != it->first) continue;
    if (t.pending) {
      a.what = WaitAnswer::Report;
      a.pid = it->first;
      a.status = t.stop.status;
      a.kind = t.stop.kind;
      t.pending = false;
      if (t.stop.kind == StopKind::Exited) tracees_.erase(it);
      return a;
    }
    if (t.resume != Resume::Stopped) may_stop = true;
  }
  // The kernel has a child's end to report (or the call would not wait): its answer.
  auto z = zombies_.find(tracer);
  const bool zombie =
      z != zombies_.end() && (pid > 0 ? z->second.count(pid) > 0 : !z->second.empty());
  if (!zombie && may_stop) {
    // (the kernel would answer ECHILD for a tracee that is not the tracer's child)
    if (options & WNOHANG) {
      a.what = WaitAnswer::Nothing;
    } else {
      parked_[tracer] = tracer_tid;
      a.what = WaitAnswer::Park;
    }
    return a;
  }
  return a;
}

void AppTraces::reaped(pid_t tracer, pid_t pid) {
  auto z = zombies_.find(tracer);
  if (z == zombies_.end()) return;
  if (pid < 0)
    zombies_.erase(z);
  else
    z->second.erase(pid);
}

std::vector<pid_t> AppTraces::take_wakes() {
  std::vector<pid_t> out;
  out.swap(wakes_);
  return out;
}

}  // namespace ckrr
