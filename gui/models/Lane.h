#pragma once
// The lanes of one thread's row in the timeline, and which lane an event belongs to.
#include <cstdint>
#include <string_view>

namespace ckrr::gui {

enum class Lane : uint8_t {
  Syscalls = 0,  // syscalls plus the other per-thread events (rdtsc, preemptions)
  Signals = 1,
  ExecMmap = 2,  // exec and address-space changes (mmap, munmap, mprotect, brk...)
  Tasks = 3,     // thread/process creation and exit (clone, fork, exit...)
};
constexpr int kThreadLaneCount = 4;

// Trace-wide lanes drawn in the row above the threads.
enum class GlobalLane : uint8_t { Checkpoints = 0, Bookmarks = 1 };
constexpr int kGlobalLaneCount = 2;

// kind: the events.kind column (1 syscall, 2 signal, 3 rdtsc, 4 exec, 5 exit, 6 preempt,
// 7 entry into a syscall that may block: drawn with the syscalls).
Lane classifyLane(int kind, std::string_view name);
const char* laneName(Lane lane);
const char* globalLaneName(GlobalLane lane);

// A syscall result in [-4095, -1] is an errno.
inline bool isErrorResult(int kind, int64_t result) {
  return kind == 1 && result < 0 && result >= -4095;
}

}  // namespace ckrr::gui
