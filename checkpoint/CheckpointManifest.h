#pragma once
// What one checkpoint holds, and its on-disk form: checkpoints/<id>/manifest. Memory contents
// live in the PageStore (checkpoints/pages/); the manifest maps every page of every saved
// mapping to a stored page (or the zero page), so a restore can mmap contiguous runs.
//
// File format (little-endian):
//   "CKRRCKPT"  u32 version  u32 crc32(body)  u64 body length  body
// The body is a sequence of sections (u32 tag, u64 length, bytes): unknown tags are skipped,
// so later versions can add sections without breaking older readers of known ones.
#include <sys/user.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "storage/PageStore.h"

namespace ckrr {

// The kernel's struct sigaction for rt_sigaction (not glibc's).
struct KernelSigaction {
  uint64_t handler = 0;  // SIG_DFL = 0
  uint64_t flags = 0;
  uint64_t restorer = 0;
  uint64_t mask = 0;
};

struct SavedThread {
  int32_t tid = 0;
  user_regs_struct regs{};      // incl. fs_base/gs_base; orig_rax/rax as at the stop
  std::vector<uint8_t> xstate;  // NT_X86_XSTATE
  uint64_t sigmask = 0;
  uint64_t altstack_sp = 0, altstack_size = 0;
  int32_t altstack_flags = 0;
  uint64_t robust_list = 0, robust_list_len = 0;
  uint64_t clear_child_tid = 0;  // set_tid_address / CLONE_CHILD_CLEARTID (0: none known)
};

// A run of pages of one mapping: npages pages from page `first` (index inside the mapping),
// stored consecutively in one pack from ref.offset (or all zero when ref.zero()).
struct PageRun {
  uint64_t first = 0, npages = 0;
  PageRef ref;
};

struct SavedRegion {
  enum class Kind : uint8_t {
    Memory,    // contents saved in runs
    Vdso,      // re-created by the kernel at restore; contents saved (ckrr patches it)
    Vvar,      // re-created by the kernel; unreadable, nothing saved
    Vsyscall,  // fixed kernel page, nothing to do
    Scratch,   // ckrr's scratch page: re-created by the restorer
  };
  uint64_t start = 0, end = 0;
  bool read = false, write = false, exec = false, shared = false;
  uint64_t offset = 0, inode = 0;
  std::string path;  // as in /proc/PID/maps: the original file, "[heap]", "[stack]", ""...
  Kind kind = Kind::Memory;
  std::vector<PageRun> runs;  // Memory and Vdso: cover [start, end) in order
  uint64_t pages() const { return (end - start) / kPageSize; }
};

// An open fd as /proc/PID/fd and fdinfo show it (for a live restart; replay emulates fds).
struct SavedFd {
  int32_t fd = 0;
  std::string path;  // readlink of /proc/PID/fd/N: a path, "pipe:[..]", "socket:[..]"...
  int32_t flags = 0;
  uint64_t pos = 0;
};

// The mm fields PR_SET_MM_MAP restores (from /proc/PID/stat and an injected brk(0)).
struct MmFields {
  uint64_t start_code = 0, end_code = 0, start_data = 0, end_data = 0;
  uint64_t start_brk = 0, brk = 0, start_stack = 0;
  uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
};

// Blob present in a checkpoint taken while a syscall was interrupted: the state is past event
// `seq`, at the `syscall` instruction of event seq+1 (usable for events after seq only).
inline constexpr const char* kBeforeNextSyscallBlob = "before-next-syscall";
// Blob of a checkpoint taken while several threads lived: for each thread, its recorded tid and
// the number of the syscall it waits in (saved as about to make it again), or -1 (int64 pairs,
// the capturing thread first).
inline constexpr const char* kThreadsBlob = "threads";
// One entry of that blob.
struct ThreadPlace {
  int64_t rec_tid = 0;
  int64_t call = -1;  // the syscall it is saved about to make again, or -1
};
std::vector<uint8_t> thread_places_blob(const std::vector<ThreadPlace>& places);
// Blob of a checkpoint of one process among several taken at the same event: uint32 first id,
// count (the ids first..first+count-1 make the whole tree) and the id holding the thread that
// ran (replay stops there for --to at that event).
inline constexpr const char* kGroupBlob = "group";

struct CheckpointManifest {
  static constexpr uint32_t kVersion = 1;

  uint32_t id = 0;
  uint64_t seq = 0;      // the state right after event `seq`
  uint64_t time_ns = 0;  // CLOCK_REALTIME when taken
  uint64_t rss = 0;      // bytes of non-zero memory saved
  uint64_t bytes_added = 0;
  MmFields mm;
  std::vector<uint8_t> auxv;
  std::string cwd, exe, comm;
  std::array<KernelSigaction, 64> sigactions{};  // index sig-1
  std::vector<SavedThread> threads;              // threads[0]: the thread group leader
  std::vector<SavedRegion> regions;              // sorted by address
  std::vector<SavedFd> fds;
  // Opaque state saved by the caller: "process" (ProcessState) and one per plugin.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> blobs;

  const std::vector<uint8_t>* blob(const std::string& name) const;
  // The `threads` blob decoded; empty without one.
  std::vector<ThreadPlace> thread_places() const;
  std::vector<uint8_t> serialize() const;
  // Throws TraceError naming `what` (the file) when bytes are not a valid manifest.
  static CheckpointManifest parse(const std::vector<uint8_t>& bytes, const std::string& what);
  // Reads <dir>/manifest. Throws TraceError naming the file if missing or corrupt.
  static CheckpointManifest load(const std::filesystem::path& dir);
};

}  // namespace ckrr
