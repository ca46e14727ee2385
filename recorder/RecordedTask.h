#pragma once
// What the recorder knows of one recorded thread: where it is in the schedule, the syscall it
// has in flight, and the signals waiting for a point replay can find.
#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/Task.h"
#include "plugins/ProcessState.h"
#include "recorder/CountedBreakpoints.h"
#include "storage/Event.h"

namespace ckrr {

class Plugin;

struct RecordedTask {
  enum class State {
    Starting,    // created by clone/fork; its first stop has not been seen yet
    Running,     // the one thread running app code (the runner)
    InSyscall,   // inside a syscall (the runner while it does not block, else waiting)
    Ready,       // stopped, waiting for its turn to run
    Vanished,    // killed under ckrr's hands (TaskGone): only its death is still to come
    JobStopped,  // in a group stop (SIGSTOP...): left stopped until a SIGCONT is pending
  };
  std::unique_ptr<Task> task;
  std::shared_ptr<ProcessState> proc;  // threads of a process share it
  pid_t rec_tid = 0;                   // the tid the app sees (differs only when restarted)
  State state = State::Starting;

  // The syscall in flight: its event as built at entry.
  Event call;
  Plugin* plugin = nullptr;
  bool translated = false;  // arguments rewritten for the kernel (restarted ids)
  bool entered = false;     // an `enter` event went out: others may run until it completes
  bool completed = false;   // stopped at its exit; the event goes out when it runs again
  // Stopped at a syscall's entry that is not handled yet: a write waiting for another write to
  // the same object (WriteOrder); handled when the thread is scheduled again.
  bool entry_pending = false;
  uint64_t call_start_ns = 0;
  uint64_t clone_flags = 0;  // of a clone in flight
  uint64_t clone_child_tid = 0;
  // At an `enter`: where the thread was, for a checkpoint taken while it waits (it is saved as
  // about to make the call again; replay parks it at the call, as without a checkpoint).
  Registers entry_regs{};
  std::vector<uint8_t> entry_xstate;
  uint64_t entry_sigmask = 0;
  uint64_t clear_child_tid = 0;  // set_tid_address / CLONE_CHILD_CLEARTID
  // Its alternate signal stack as its own sigaltstack calls, clone and exec left it: a thread
  // waiting in the kernel cannot be asked. (Inside an SS_AUTODISARM handler the kernel has it
  // disarmed until sigreturn; a checkpoint there restores it armed.)
  uint64_t altstack_sp = 0, altstack_size = 0;
  int32_t altstack_flags = SS_DISABLE;
  // Stopped for a checkpoint while it waited in this call, and rewound to make it again
  // (-1: not so). Cleared when it makes its next syscall.
  int64_t rewound_call = -1;

  int resume_sig = 0;  // signal to deliver when it next runs
  // No app code has run since the thread's last event, which left these registers.
  bool at_boundary = false;
  Registers last_regs{};
  std::vector<siginfo_t> deferred;  // async signals waiting for such a point
  bool deferred_raised = false;     // the first of them is pending again (tgkill by ckrr)
  uint64_t deferred_since_ns = 0;
  bool interrupt_sent = false;  // a SIGSTOP of ours is on its way
  bool rewind_on_stop = false;  // that SIGSTOP interrupted a syscall: rewind to its instruction
  bool kicked = false;          // SIGSTOP sent for a checkpoint inside a blocking syscall
  uint64_t run_start_ns = 0;    // when it last became the runner
  uint64_t next_probe_ns = 0;   // when to look for a spin loop next
  // Ready only because a wait timed out (futex ETIMEDOUT, a sleep's end): a timer may fire late,
  // so such a thread never forces a preemption soon (replaying one is costly: see ARCHITECTURE).
  bool woke_by_timeout = false;
  bool stopped_in_syscall = false;
  // Just delivered a signal to its handler, whose first instruction has not run: another
  // signal stopping it there (one that was pending too) is delivered at once, nested, as
  // natively; replay raises it before that same delivery.
  bool at_handler_entry = false;
  Registers handler_entry{};  // JobStopped from inside a call: resumed to its exit stop
  SliceCount slice;           // hits of the process's counted addresses since its last event
};

}  // namespace ckrr
