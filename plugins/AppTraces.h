#pragma once
// The recorded program's own tracing of its children and threads (strace, a small debugger),
// as ckrr emulates it in the recording: ckrr is every recorded thread's real tracer, so the
// kernel knows nothing of these tracer/tracee pairs. This table is their state machine: which
// process traces which thread, with what options, whether the tracee runs (continued, to its
// next syscall stop, one step) or is stopped, and the stops its tracer's wait4/waitid has not
// been told about yet (AppPtracePlugin answers the requests, LifecyclePlugin the waits).
// RecordSession holds a tracee that is stopped for its tracer at its syscall boundaries (at a
// syscall's entry, or after a call's event) and parks a tracer whose wait has nothing to report
// yet; the table tells it when, and which threads to let go on again (take_wakes).
// Record only: the tracer's requests and waits are emulated events, so replay reads their
// results from the log, and a tracee held for its tracer runs the same code (it was only held
// between two of its events).
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <vector>

#include "core/Task.h"
#include "storage/Event.h"

namespace ckrr {

class AppTraces {
 public:
  enum class Resume { Stopped, Cont, Syscall, Step };
  enum class StopKind { None, Signal, Step, Group, SyscallEntry, SyscallExit, Event, Exited };
  struct Stop {
    StopKind kind = StopKind::None;
    int status = 0;  // the wait status it reports
    unsigned long msg = 0;
  };
  struct Tracee {
    pid_t tracer = 0;   // recorded pid of the tracing process
    pid_t process = 0;  // the pid of the tracee's process
    bool seized = false;
    uint64_t options = 0;
    Resume resume = Resume::Cont;
    Stop stop;               // the current stop (kind None while it runs)
    bool pending = false;    // the current stop is not yet reported to a wait
    std::deque<Stop> later;  // stops that follow when it is resumed (an event, then an exit)
    // Where ckrr holds it: at a call's seccomp stop, its entry handled again when it goes on
    // (Entry); at a call's seccomp stop after its `enter` event, resumed into the call (InCall);
    // after an event, at its exit stop or after a single step (AfterEvent).
    enum class Held { No, Entry, InCall, AfterEvent } held = Held::No;
    bool pass_entry = false;      // resumed at its entry stop: the call goes on at the next try
    bool entry_reported = false;  // held at an entry whose syscall stop was reported
    bool exit_reported = false;   // its PTRACE_EVENT_EXIT stop was reported
    bool entry_seen = false;      // the current call's entry stop was reported
    // The stops of the call it is in were taken at its exit stop, before its event
    // (hold_at_exit); what follows its event is left to hold_after_event.
    bool exit_passed = false;
    // Held at a call's exit stop before its event, which replay reads the result from: the
    // tracer may change the result (rax).
    bool result_writable = false;
    bool step_armed = false;  // single-stepped by ckrr for the tracer: its next SIGTRAP is that
    // At a signal-delivery stop of a real signal (signal_stop): its siginfo, whether it was a
    // fault (its event written at the stop), and what the tracer resumed it with.
    bool signal_delivery = false;
    bool fault = false;
    siginfo_t siginfo{};
    int deliver = 0;  // a fault's signal to deliver (0: suppressed)
    int pass = 0;     // an asynchronous signal the tracer let through: delivered as usual
    bool passing = false;
    bool siginfo_set = false;  // at this stop, by PTRACE_SETSIGINFO
    // At a syscall stop: what PTRACE_GET_SYSCALL_INFO reports.
    Registers regs{};
  };

  bool empty() const { return tracees_.empty(); }
  Tracee* find(pid_t tid);
  // The tracer (its process pid) that traces tid, or 0.
  pid_t tracer_of(pid_t tid) const;

  // Requests of a tracer (recorded pids).
  void attach(pid_t tracer, pid_t tid, pid_t process, bool seize, uint64_t options);
  // PTRACE_TRACEME by tid: its parent process traces it from now on (it goes on running).
  void traceme(pid_t parent, pid_t tid, pid_t process);
  void interrupt(pid_t tid);
  // CONT, SYSCALL, SINGLESTEP: the tracee goes on from its stop, with sig (at a
  // signal-delivery stop: the signal delivered, or none).
  void resume(pid_t tid, Resume how, int sig = 0);
  void detach(pid_t tid);

  // RecordSession, at the tracee's syscall entry (seccomp stop): true to hold it there.
  // in_call: after its `enter` event, so it is resumed into the call rather than handled again
  // (a thread with others in its process: replay must know it reached the call; where it
  // cannot have one, its entry stop is reported after the call's event instead).
  bool hold_at_entry(pid_t tid, const Registers& regs, bool in_call);
  // RecordSession, at a call's exit stop before its event is written: true to hold it (its
  // syscall-exit stop, a fork event). result_writable: replay takes the call's result from the
  // event (not a call replay runs and checks, nor a clone), so the tracer may change rax.
  bool hold_at_exit(pid_t tid, const Registers& regs, bool result_writable);
  // RecordSession, resuming a thread: true when it must go one instruction only (the tracer's
  // PTRACE_SINGLESTEP), and at its next SIGTRAP, stepped() reports it (true: hold it).
  bool stepping(pid_t tid);
  bool stepped(pid_t tid, const Registers& regs);
  // RecordSession, at a tracee's signal-delivery stop (a fault, whose event it writes at once
  // as a Signal event marked kTracerSignalStop, or an asynchronous signal at a boundary, which
  // writes none): true to hold it there for its tracer (the signal is not delivered until the
  // tracer says so). False for SIGKILL and for a signal its tracer let through (pass).
  bool signal_stop(pid_t tid, int sig, const siginfo_t& si, const Registers& regs, bool fault);
  // RecordSession, resuming a thread held at a signal-delivery stop: the signal its tracer
  // gave a fault (0: none), or sig unchanged; pass: an asynchronous signal to deliver as
  // usual (0: none).
  int resume_signal(pid_t tid, int sig);
  int take_pass(pid_t tid);
  // Signals to send now (recorded pids): a SIGCHLD to a tracer at each of its tracees' stops,
  // as the kernel does (a debugger's event loop waits for it); a SIGKILL to a tracee of
  // PTRACE_KILL, or of a tracer that ends with PTRACE_O_EXITKILL.
  struct Kill {
    pid_t pid;
    int sig;
  };
  std::vector<Kill> take_kills();
  void kill(pid_t tid);
  // RecordSession, after the event of a call or exec, before the thread goes on: true to hold it.
  bool hold_after_event(pid_t tid, const Event& ev, const Registers& regs);
  // RecordSession, at a clone/fork event of a tracee: the new task is attached to the same
  // tracer when its options ask for it, and the parent reports the event after its call.
  void new_task(pid_t parent, pid_t child, uint64_t clone_flags);
  // RecordSession, at a successful exec in a process with threads: the others end (reported
  // to a tracer as exits with status 0) and the execing thread goes on as the leader.
  void exec_ended(pid_t pid, pid_t exec_tid, const std::vector<pid_t>& others);
  // RecordSession, when a thread is gone (leader: its process is; parent: that process's
  // parent). The kernel reports a process's end to its parent's wait itself: a parent that
  // traces is let go on from its parked wait, to the kernel's answer.
  void gone(pid_t tid, pid_t pid, bool leader, int raw_status, pid_t parent);

  // A wait4/waitid of a tracer thread: a stop to report, or Park (nothing yet, a tracee may
  // still stop: the tracer is held until one does), Nothing (WNOHANG and nothing yet: 0), or
  // Kernel (the kernel answers: a child's end, or no tracee that can still stop).
  struct WaitAnswer {
    enum { Report, Park, Nothing, Kernel } what = Kernel;
    pid_t pid = 0;
    int status = 0;
    StopKind kind = StopKind::None;
  };
  WaitAnswer wait(pid_t tracer, pid_t tracer_tid, pid_t pid, int options);
  // LifecyclePlugin, after a wait the kernel answered: it reaped pid (0: none; -1: it has no
  // child left).
  void reaped(pid_t tracer, pid_t pid);
  // The recorded tid of the thread parked by the last Park answer (when ids are translated).
  void parked_as(pid_t tracer, pid_t rec_tid) { parked_[tracer] = rec_tid; }

  // Threads held or parked for this table that may go on now (recorded tids).
  std::vector<pid_t> take_wakes();

 private:
  void make_current(Tracee& t, const Stop& s);
  // Holds t for these stops (the first becomes current) or for the stop it is in; false when
  // there are none.
  bool hold(Tracee& t, std::deque<Stop> stops);
  // The fork event tid reports after its call, if any (its child's first stop then reportable).
  void fork_event(pid_t tid, std::deque<Stop>& stops);
  void notify(pid_t tracer);
  void release(pid_t tid, Tracee& t);

  std::map<pid_t, Tracee> tracees_;    // by recorded tid
  std::map<pid_t, pid_t> parked_;      // tracer pid -> its thread parked in a wait
  std::map<pid_t, Stop> fork_events_;  // parent tid -> the event to report after its call
  // tracer pid -> its children that ended, which the kernel reports to its wait (until reaped)
  std::map<pid_t, std::set<pid_t>> zombies_;
  std::vector<pid_t> wakes_;
  std::vector<Kill> kills_;
};

}  // namespace ckrr
