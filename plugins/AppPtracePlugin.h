#pragma once
// ptrace by the recorded program of its own threads or children (LeakSanitizer at exit,
// strace -f, a small tracer). ckrr is already every recorded thread's tracer, so the kernel
// would refuse; the calls are answered by ckrr instead, from what it knows of the target and
// from AppTraces (the tracer/tracee state), and recorded like any emulated call (replay reads
// them from the log):
//   ATTACH, SEIZE, INTERRUPT, CONT, SYSCALL, SINGLESTEP, LISTEN, DETACH, SETOPTIONS change
//   AppTraces; SETREGS/POKEUSER may change a syscall's result at its exit stop;
//   PEEKTEXT/PEEKDATA/PEEKUSER, POKETEXT/POKEDATA (own memory), GETREGS, GETFPREGS, GETREGSET
//   (NT_PRSTATUS, NT_PRFPREG), GETEVENTMSG, GETSIGINFO, GET_SYSCALL_INFO read the target as
//   ckrr sees it at its stop.
// Not emulated (EIO, named by note_not_emulated): the rest (other register writes, writes
// into another process), which replay would not redo. TRACEME gets EPERM as under any tracer.
#include "plugins/Plugin.h"

namespace ckrr {

class AppPtracePlugin : public Plugin {
 public:
  const char* name() const override { return "app-ptrace"; }
  void record_entry(SyscallContext& ctx) override;
};

}  // namespace ckrr
