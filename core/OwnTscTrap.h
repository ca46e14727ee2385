#pragma once
// Makes the supervisor's own thread trap rdtsc like the traced app does (PR_SET_TSC). On this
// VM, switching between a thread that may read the TSC and one that may not rewrites CR4, and
// the hypervisor traps that: a ptrace stop pair costs 36 us when only the app traps rdtsc and
// 14 us when both sides do (bench/programs/stopcost.c). The few rdtsc the supervisor itself
// executes (the vDSO's clock_gettime) are emulated by a SIGSEGV handler that briefly enables
// the TSC.
#include <cstdint>

namespace ckrr {

// For the calling thread; idempotent. Other faults still reach the previous SIGSEGV handler.
void trap_own_tsc();
// Undoes it for the calling thread.
void untrap_own_tsc();

// CLOCK_MONOTONIC by a real syscall: cheaper than the vDSO (which runs rdtscp, emulated by
// the handler above) on a thread that traps its own TSC.
uint64_t monotonic_ns();

}  // namespace ckrr
