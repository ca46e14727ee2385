/* The channel between the in-process agent (libckrr_agent.so, plain C) and the supervisor
 * (C++). Shared by both; plain C, fixed layout, little-endian x86-64.
 *
 * Each thread that uses the agent owns one slot of kAgentSlotSize bytes in a fixed region of its
 * address space (so that the region can be left out of state digests). The slot starts with a
 * header page; records follow. The supervisor reads and writes slots through /proc/PID/mem at
 * the thread's stops. */
#ifndef CKRR_AGENT_ABI_H
#define CKRR_AGENT_ABI_H

#include <stdint.h>

#define CKRR_AGENT_REGION 0x71000000ull
#define CKRR_AGENT_SLOT_SIZE (512ull * 1024)
#define CKRR_AGENT_SLOTS 64
#define CKRR_AGENT_REGION_END (CKRR_AGENT_REGION + CKRR_AGENT_SLOTS * CKRR_AGENT_SLOT_SIZE)
#define CKRR_AGENT_HEADER_SIZE 4096ull
#define CKRR_AGENT_MAGIC 0x74676b63u /* "ckgt" */
#define CKRR_AGENT_VERSION 1u

/* A syscall number no kernel has: the agent's trapped request to the supervisor. args[0] =
 * CKRR_AGENT_OP_*, args[1] = the slot's address, args[2] = a table of struct ckrr_agent_vdso
 * (args[3] entries): the agent's functions the vDSO entry points should jump to; args[4] = its
 * stub area, args[5] = its site entry. The supervisor
 * answers it itself (no event), identically in record and replay. */
#define CKRR_AGENT_SYSCALL 0xc6a0
#define CKRR_AGENT_OP_REGISTER 1
/* The same, and the supervisor maps the slot itself first (an injected mmap, in record and
 * replay alike): the agent's own setup makes no call that shows among the program's events. */
#define CKRR_AGENT_OP_REGISTER_MAPPED 2

/* Syscall sites. At a trapped stop of a call the agent buffers, made from the usual libc
 * sequence `mov $nr, %eax; syscall; cmp $-4096, %rax`, the supervisor (record and replay
 * alike, at the same stop) writes a stub into the agent's stub area and replaces
 * `mov; syscall` with `jmp stub; jmp .-5`: the stub sets eax, steps over the red zone, calls
 * the site entry (which keeps every register the kernel keeps) and jumps back to the `cmp`.
 * The area starts with a u64 count of stubs used (in the app's memory: forks and checkpoints
 * keep it), then CKRR_AGENT_STUB_SIZE-byte stubs. */
#define CKRR_AGENT_STUB_AREA_SIZE 65536
#define CKRR_AGENT_STUB_SIZE 32
#define CKRR_AGENT_STUB_FIRST 64

/* A `syscall; ret` sequence at a fixed address in ckrr's scratch page; the seccomp filter lets
 * syscalls made there through (record: the agent runs the call without a stop). */
#define CKRR_AGENT_SYSCALL_INSN 0x70000008ull

struct ckrr_agent_vdso {
  uint64_t nr; /* the syscall the vDSO entry stands for (clock_gettime...) */
  uint64_t fn; /* the agent's function, with the vDSO's ABI (returns -errno) */
};
#define CKRR_AGENT_VDSO_MAX 8

enum ckrr_agent_mode {
  CKRR_AGENT_OFF = 0,    /* trap every call, as without the agent */
  CKRR_AGENT_RECORD = 1, /* run buffered calls, append records */
  CKRR_AGENT_REPLAY = 2, /* take results from the records the replayer filled in */
};

struct ckrr_agent_header {
  uint32_t magic;
  uint32_t version;
  uint32_t mode;     /* ckrr_agent_mode, written by the supervisor at registration */
  int32_t owner;     /* the thread's recorded tid, written by the supervisor */
  uint64_t used;     /* bytes of records after the header (record: written; replay: filled) */
  uint64_t consumed; /* replay: bytes of records the agent has taken */
  uint64_t count;    /* records in [0, used) */
  uint64_t capacity; /* bytes available for records */
  uint64_t stubs;    /* the agent's stub area (syscall sites patched to jump there), or 0 */
  uint64_t entry;    /* the agent's site entry point (what a stub calls) */
  /* Record: non-zero while the agent writes a record (signals blocked). A stop there (a tick,
   * another thread's exit) must not flush the slot: the agent would then publish its record
   * at the offset it read before, over an emptied slot. Added after version 1's fields: an
   * older agent (replayed from an older trace) never sets it. */
  uint64_t busy;
  /* Record: set by the supervisor while the thread runs (a checkpoint is due): the agent's next
   * call is a trapped one, a stop where the checkpoint can be taken; cleared at that stop. A
   * call replay has no record for traps the same way, so replay needs nothing. */
  uint64_t stop_soon;
};

/* Record kinds: a kernel syscall now; library calls (CUDA, ibverbs) later get their own kind
 * with nr = the function's id in that library's table. */
#define CKRR_AGENT_REC_SYSCALL 1
/* A time-stamp read at a patched rdtsc/rdtscp site (below): nr = the instruction's length (2
 * rdtsc, 3 rdtscp), args[0] = the site, args[1] = rdtscp's aux (ecx), result = the value. */
#define CKRR_AGENT_REC_TSC 2

/* One buffered call, 8-byte aligned; `size` covers the header and every write. */
struct ckrr_agent_record {
  uint32_t size;
  uint16_t kind;
  uint16_t nwrites;
  int64_t nr;
  uint64_t args[6];
  int64_t result;
  /* then nwrites times: struct ckrr_agent_write, then len bytes padded to 8 */
};

/* Memory the call wrote into the process. With CKRR_AGENT_INPUT set in addr: a path the call
 * read (the NUL-terminated string at addr, without its NUL), kept for display as stopped calls
 * keep it (first one: the path, second: the other path); never written back. */
struct ckrr_agent_write {
  uint64_t addr;
  uint64_t len;
};
#define CKRR_AGENT_INPUT (1ull << 63)

/* rdtsc/rdtscp sites (plugins/TscSites). They trap (PR_SET_TSC) and the supervisor emulates
 * them. When one site of a process that mapped the agent has trapped
 * CKRR_TSC_PATCH_AFTER times, the supervisor (record and replay alike, at the same trap) copies
 * the instruction and the few whole instructions after it into a stub in a trampoline page
 * near the site and writes `jmp stub` over them. The stub steps over the red zone, sets
 * rdx = site, eax = length and calls ckrr_tsc_entry (the page's first u64; an exported symbol
 * of the agent, which the supervisor finds in the library the process mapped), which keeps every
 * register but rax, rdx (and rcx for rdtscp) and the flags, then runs the copied instructions
 * and jumps back.
 *
 * The per-process state lives in the app's memory at a fixed address (forks and checkpoints
 * keep it, exec drops it): the clock both paths use once it exists, the trap counts per site
 * and the trampoline pages. */
#define CKRR_TSC_STATE 0x70100000ull
#define CKRR_TSC_STATE_SIZE 8192ull
#define CKRR_TSC_MAGIC 0x6373746bu /* "ktsc" */
#define CKRR_TSC_PATCH_AFTER 4
#define CKRR_TSC_TRAMPS 16
#define CKRR_TSC_SITES 400
#define CKRR_TSC_TRAMP_SIZE 4096ull
#define CKRR_TSC_STUB_SIZE 64
#define CKRR_TSC_STUB_FIRST 64 /* a trampoline page: u64 entry, u64 stubs used, then stubs */
/* A trapped rdtsc the agent makes itself (no slot, agent off, a record not the next one) has
 * rdi = the site it stands for, rsi = its length and r8 = this magic. */
#define CKRR_TSC_FALLBACK_MAGIC 0x636b72725f747363ull

struct ckrr_tsc_site {
  uint64_t site;
  uint64_t count; /* traps so far; patched at CKRR_TSC_PATCH_AFTER */
};

struct ckrr_tsc_state {
  uint32_t magic;
  uint32_t ntramps;
  /* value = base_tsc + ((CLOCK_MONOTONIC ns - base_ns) * mult) >> 32, and above floor: the
   * time-stamp both paths give once this exists (a value never goes backwards across them). */
  uint64_t base_tsc;
  uint64_t base_ns;
  uint64_t mult;
  uint64_t floor; /* the last value given, by either path */
  uint64_t aux;   /* rdtscp's aux (ckrr pins the app to one CPU) */
  uint64_t entry; /* the agent's ckrr_tsc_entry, what trampoline pages call */
  uint64_t tramps[CKRR_TSC_TRAMPS];
  struct ckrr_tsc_site sites[CKRR_TSC_SITES];
};

#endif
