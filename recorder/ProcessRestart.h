#pragma once
// Rebuilds a recorded process from one of its checkpoints to run it on for real: the restore
// itself (CheckpointRestorer), its fds reopened (FdReopener), and the ids it must keep seeing
// (VirtualIds). Shared by `ckrr restart` (LiveSession) and `ckrr restart --record`
// (RecordSession), which differ only in what they do with the process afterwards.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "checkpoint/CheckpointManifest.h"
#include "core/Task.h"
#include "plugins/ProcessState.h"
#include "recorder/VirtualIds.h"
#include "storage/LaunchInfo.h"

namespace ckrr {

struct RestartedProcess {
  std::unique_ptr<Task> task;  // stopped, its fds reopened; resume with cont()
  // Its other threads, stopped too (threads waiting in a call when the checkpoint was taken
  // make that call again); ids.tids says which recorded tid each is.
  std::vector<std::unique_ptr<Task>> threads;
  CheckpointManifest manifest;
  ProcessState proc;  // the fd table model and recorded pid at the checkpoint
  LaunchInfo launch;  // how the recording started
  VirtualIds ids;
  pid_t virtual_ppid = 0;  // what getppid() answered when recorded (0: unknown)
  uint32_t checkpoint = 0;
};

// Whether pid is a running `ckrr record` process (not a recycled pid).
bool recorder_running(pid_t pid);

// Restores checkpoint `checkpoint` of the trace at trace_dir (default: the latest usable one,
// falling back past corrupt ones with a message on stderr). The process gets the caller's
// stdin/stdout/stderr and process group, and is pinned to the recorded CPU. Throws Error.
RestartedProcess restart_from_checkpoint(const std::filesystem::path& trace_dir,
                                         std::optional<uint32_t> checkpoint);

}  // namespace ckrr
