#pragma once
// ptrace by the recorded program of its own threads or children (what LeakSanitizer does at
// exit, what a small debugger does). ckrr is already every recorded thread's tracer, so the
// kernel would refuse; the calls are answered by ckrr instead, from what it knows of the
// target, and recorded like any emulated call (replay reads them from the log):
//   ATTACH, SEIZE, INTERRUPT, CONT, SYSCALL, SINGLESTEP, DETACH, SETOPTIONS  succeed;
//   the target is reported stopped (SIGSTOP) to the tracer's next wait for it;
//   PEEKTEXT/PEEKDATA/PEEKUSER, POKETEXT/POKEDATA, GETREGS, SETREGS, GETFPREGS, GETREGSET
//   (NT_PRSTATUS, NT_PRFPREG), GETEVENTMSG, GETSIGINFO read or write the target as ckrr sees it.
// Partial: the target is not held while "stopped" (under ckrr only one thread runs at a time,
// and one waiting in the kernel stays there); stops the target would report to its tracer
// (signals, syscalls, exits) are not forwarded; TRACEME gets EPERM as under any tracer.
#include "plugins/Plugin.h"

namespace ckrr {

class AppPtracePlugin : public Plugin {
 public:
  const char* name() const override { return "app-ptrace"; }
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;
  void replay_exit(SyscallContext& ctx) override;

  // Record, at a wait4/waitid of a tracer: the wait status to report for pid now (a target it
  // attached and that it has not been told about yet), or 0.
  static int pending_stop(ProcessState& tracer, pid_t pid);

 private:
  // The same change of the tracer's table in record and replay.
  static void note(ProcessState& proc, long request, pid_t target, int64_t result);
};

}  // namespace ckrr
