#pragma once
// rdtsc/rdtscp sites that trap again and again (agent/AgentAbi.h, "rdtsc/rdtscp sites"): once
// a site of a process where the in-process agent registered has trapped CKRR_TSC_PATCH_AFTER
// times, it is patched to call the agent instead, which records the value in its buffer (record)
// or takes it from there (replay) without a ptrace stop. Everything it decides on (counts,
// trampolines, the clock) lives in the app's memory at CKRR_TSC_STATE, so record, replay, a
// forked child and a process restored from a checkpoint all patch at the same trap. Without the
// agent nothing changes: every read traps and the time plugin emulates it.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/Task.h"
#include "storage/Event.h"

namespace ckrr {

class TscSites {
 public:
  // The site a trapped read stands for: rip, or, for the agent's own fallback rdtsc, the
  // patched site it was made for (AgentAbi.h).
  static uint64_t site_of(const Registers& r);
  // "rdtsc at 0x..." for the read the thread stopped at (the site it stands for).
  static std::string describe(Task& t, const Registers& r);
  // Record, at a trapped read: the value to give. The real TSC until the process has its
  // state; from then on the state's clock (the one the agent uses), never below the last value
  // either path gave. The trap that creates the state keeps its parameters in ev.args[2..5].
  static uint64_t record_value(Task& t, int len, uint64_t* aux, Event& ev);
  // Replay, at the same trap: the same state (created from ev's parameters, floor updated).
  static void replay_value(Task& t, const Event& ev);
  // After a trapped read at site (not the agent's fallback): counts it; patches the site at
  // the CKRR_TSC_PATCH_AFTER-th trap (and retries every 64 after, if it could not).
  static void after_trap(Task& t, uint64_t site, int len);
  // Length of the instruction at p (n bytes readable) if it may be moved into a stub (no
  // RIP-relative operand, no branch: a short list of what compilers put after a read), else 0.
  static int movable_len(const uint8_t* p, size_t n);
  // At a process's exec: whether it mapped the agent is looked up again.
  static void forget(pid_t pid);
};

}  // namespace ckrr
