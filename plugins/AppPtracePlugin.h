#pragma once
// ptrace by the recorded program of its own threads or children (LeakSanitizer at exit,
// strace -f, a small tracer). ckrr is already every recorded thread's tracer, so the kernel
// would refuse; the calls are answered by ckrr instead, from what it knows of the target and
// from AppTraces (the tracer/tracee state), and recorded like any emulated call (replay reads
// them from the log):
//   TRACEME, ATTACH, SEIZE, INTERRUPT, CONT, SYSCALL, SINGLESTEP, LISTEN, DETACH, SETOPTIONS
//   change AppTraces (a signal given at a signal-delivery stop is delivered, none suppresses
//   it); SETREGS/SETREGSET/POKEUSER may change a syscall's result at its exit stop, or any
//   register (and SETFPREGS/SETREGSET the XSAVE state) where replay holds the tracee too (after
//   one of its events, at a fault or a single step); SETSIGINFO changes what GETSIGINFO says;
//   POKETEXT/POKEDATA and pwrite64 to /proc/PID/mem write its own memory or a stopped tracee's
//   (TraceeEffects: replay writes it again); PEEKTEXT/PEEKDATA/PEEKUSER, GETREGS, GETFPREGS,
//   GETREGSET (NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE), GETEVENTMSG, GETSIGINFO,
//   GET_SYSCALL_INFO read the target as ckrr sees it at its stop.
// Not emulated (EIO, named by note_not_emulated): register or memory writes into a tracee held
// at a syscall's entry or exit, debug registers, signal injection at a stop other than the
// signal's own, the rest of the requests.
#include <string>

#include "plugins/AppTraces.h"
#include "plugins/Plugin.h"

namespace ckrr {

// A write by a tracer into its tracee's memory (POKEDATA, /proc/PID/mem), made now and
// recorded for replay to make again (TraceeEffects), where replay holds the tracee at the same
// point: after one of its events (its fault or step stops are events). Elsewhere not emulated
// (false, named by note_not_emulated).
bool write_tracee_memory(SyscallContext& ctx, const AppTraces::Tracee& t, pid_t tid, Task& target,
                         uint64_t addr, const void* data, size_t len, const std::string& how);

class AppPtracePlugin : public Plugin {
 public:
  const char* name() const override { return "app-ptrace"; }
  void record_entry(SyscallContext& ctx) override;
};

}  // namespace ckrr
