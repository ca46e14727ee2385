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
};

/* Record kinds: a kernel syscall now; library calls (CUDA, ibverbs) later get their own kind
 * with nr = the function's id in that library's table. */
#define CKRR_AGENT_REC_SYSCALL 1

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

/* Memory the call wrote into the process. */
struct ckrr_agent_write {
  uint64_t addr;
  uint64_t len;
};

#endif
