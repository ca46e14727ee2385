#pragma once
// ckrr maps one page at a fixed address into every traced process, after each exec, in record
// and replay alike (so the app sees the same address space in both). It holds a `syscall; int3`
// sequence that the seccomp filter lets through, so the supervisor can inject syscalls without
// a seccomp stop, and a scratch area for injected syscalls' arguments (paths...).
#include <cstdint>

namespace ckrr {

constexpr uint64_t kScratchPageAddr = 0x70000000;
constexpr uint64_t kScratchPageSize = 4096;
constexpr uint64_t kInjectSyscallAddr = kScratchPageAddr;     // 0f 05  syscall
constexpr uint64_t kInjectReturnAddr = kScratchPageAddr + 2;  // what seccomp sees as ip
constexpr uint64_t kScratchDataAddr = kScratchPageAddr + 64;  // free scratch bytes
constexpr uint64_t kScratchDataSize = kScratchPageSize - 64;
// The in-process agent's own `syscall; ret` (agent/AgentAbi.h): the filter lets it through too.
constexpr uint64_t kAgentSyscallAddr = kScratchPageAddr + 8;
constexpr uint64_t kAgentReturnAddr = kAgentSyscallAddr + 2;
// Bytes at the start of the page: syscall; int3; int3 padding; at +8 syscall; ret.
constexpr uint8_t kScratchCode[] = {0x0f, 0x05, 0xcc, 0xcc, 0xcc, 0xcc,
                                    0xcc, 0xcc, 0x0f, 0x05, 0xc3};

}  // namespace ckrr
