#pragma once
// Rebuilds a process from a checkpoint (replay, gdb reverse execution, live restart).
//
// Recipe (see MACHINE-NOTES): launch a traced process running a tiny stub (RestoreStub.h)
// under the same seccomp filter as the recorded process; map ckrr's scratch page; unmap
// everything else; re-create the vDSO/vvar at the recorded address (arch_prctl
// ARCH_MAP_VDSO_64) and restore ckrr's patches to it; map every saved mapping at its address
// (runs of stored pages mmap'd MAP_PRIVATE from the page-aligned packs, so cost does not grow
// with the image; short runs, [stack] and shared mappings copied); unmap the stub;
// PR_SET_MM_MAP (brk, arg/env, auxv, exe); signal dispositions, mask, altstack, robust list,
// cwd, name; finally registers (fs_base included) and the xsave state.
//
// The result is stopped at a signal-delivery stop (SIGTRAP) with the checkpointed registers:
// resume it with cont() (signal 0) exactly like the original after event `seq`. fds are not
// reopened (replay emulates them); the manifest lists them for a live restart.
#include <linux/filter.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "checkpoint/CheckpointManifest.h"
#include "checkpoint/SharedMemoryPool.h"
#include "core/Task.h"

namespace ckrr {

struct RestoreOptions {
  std::vector<sock_filter> filter;  // build_seccomp_filter(registry.allowed_syscalls())
  bool stdio_to_devnull = false;
  bool new_process_group = false;
  int cpu = -1;
  bool restore_cwd = true;  // chdir to the recorded cwd (skipped silently if it is gone)
  // Runs of at least this many pages are mmap'd from the packs; shorter ones are copied, which
  // keeps the number of VMAs (and the kernel's per-process limit) in check.
  uint64_t map_min_pages = 16;
  // Restoring a group of processes: shared writable mappings come from here, so the processes
  // share them again (without it each gets its own shared copy).
  SharedMemoryPool* shared = nullptr;
};

struct RestoredProcess {
  std::unique_ptr<Task> task;
  std::vector<std::unique_ptr<Task>> threads;  // manifest threads[1..], stopped, in order
  CheckpointManifest manifest;                 // seq, blobs ("process" and per plugin), fds...
  double restore_ms = 0;
  double verify_ms = 0;  // of which checking the stored pages against their hashes
};

// Published checkpoints under checkpoints_dir, by id ascending (tmp-* directories excluded).
std::vector<uint32_t> list_checkpoints(const std::filesystem::path& checkpoints_dir);

class CheckpointRestorer {
 public:
  explicit CheckpointRestorer(const std::filesystem::path& checkpoints_dir);

  // Throws TraceError naming the file when the manifest or a pack is missing or corrupt, Error
  // when the process cannot be rebuilt (e.g. the kernel's vDSO layout differs).
  RestoredProcess restore(uint32_t id, const RestoreOptions& opt);
  // Restores from an already loaded manifest.
  RestoredProcess restore(const CheckpointManifest& m, const RestoreOptions& opt);
  // For a tree of processes (ckrr restart): an empty process (the stub, stopped, with ckrr's
  // scratch page), a child forked from one by an injected fork (its parent is that process, so
  // wait4 works once both are restored), and a restore into such an empty process.
  static std::unique_ptr<Task> start_empty(const RestoreOptions& opt);
  static std::unique_ptr<Task> fork_empty(Task& parent);
  RestoredProcess restore_into(std::unique_ptr<Task> empty, const CheckpointManifest& m,
                               const RestoreOptions& opt);

 private:
  std::filesystem::path dir_;
};

}  // namespace ckrr
