#pragma once
// What a recorded tracer (a debugger run under ckrr record) does to another recorded thread
// that replay must do again: the tracee runs its own code in replay, so a breakpoint written
// into its memory, a register it was given, or the signal its tracer delivered or suppressed
// must reach it there too. Each is a blob of the tracer's event (the ptrace call, or the
// pwrite to /proc/PID/mem); replay applies it when it replays that event, while the tracee is
// held where its last event left it, which is where it was stopped for its tracer when
// recording (AppTraces holds a tracee only at such points: after one of its events, at a
// fault or single step recorded as its own event).
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "core/Task.h"
#include "storage/Event.h"

namespace ckrr {

struct TraceeEffect {
  enum class Kind : uint32_t { Memory = 1, Registers = 2, Signal = 3, XState = 4 };
  Kind kind = Kind::Memory;
  pid_t tid = 0;       // the tracee, as the app knows it
  uint64_t value = 0;  // Memory: the address; Signal: the signal it is resumed with (0: none)
  // Memory: what was written; Registers: user_regs_struct; XState: the whole XSAVE area.
  std::vector<uint8_t> bytes;
};

void add_tracee_effect(Event& ev, const TraceeEffect& e);
std::vector<TraceeEffect> tracee_effects(const Event& ev);

// Signal events of a tracee stopped for its tracer (Event::args[3]): replay resumes it with
// the signal its tracer chose (a Signal effect; none by default), and a single step is replayed
// as one.
constexpr uint64_t kTracerSignalStop = 1;
constexpr uint64_t kTracerStep = 2;

// Record: the Signal event of a tracee stopped for its tracer at a fault or a single step.
Event tracee_stop_event(int sig, const siginfo_t& si, const Registers& regs, uint64_t marker);

}  // namespace ckrr
