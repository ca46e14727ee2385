#pragma once
// Rebuilds a recorded process from one of its checkpoints to run it on for real: the restore
// itself (CheckpointRestorer), its fds reopened (FdReopener), and the ids it must keep seeing
// (VirtualIds). Shared by `ckrr restart` (LiveSession) and `ckrr restart --record`
// (RecordSession), which differ only in what they do with the process afterwards.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/CheckpointManifest.h"
#include "checkpoint/CheckpointRestorer.h"
#include "core/Task.h"
#include "plugins/PluginRegistry.h"
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

// What every restart needs before restoring: the trace, how it was launched, the recorder's pid
// (the root's getppid answer), the checkpoints to try (latest last) and the restore options
// (the recording's filter, the recorded CPU, to which the caller is now pinned). Throws Error
// (no checkpoint, the recorder still running...).
struct RestartPlan {
  std::filesystem::path trace_dir, checkpoints_dir;
  LaunchInfo launch;
  pid_t virtual_ppid = 0;
  std::vector<uint32_t> ids;
  RestoreOptions ro;
  std::shared_ptr<PluginRegistry> registry;  // its plugins' restart hooks run in each process
};
RestartPlan plan_restart(const std::filesystem::path& trace_dir,
                         std::optional<uint32_t> checkpoint);

// Makes a restored process (p, checkpoint id) a RestartedProcess: recorded tids, its
// ProcessState, its fds reopened (substitutes: see reopen_fds), messages on stderr. Throws
// TraceError when the checkpoint lacks what that needs (the caller then owns out.task).
void adopt_restored_process(RestoredProcess& p, uint32_t id, const RestartPlan& plan,
                            RestartedProcess& out,
                            const std::map<std::string, std::string>* substitutes);

// Whether pid is a running `ckrr record` process (not a recycled pid).
bool recorder_running(pid_t pid);

// Restores checkpoint `checkpoint` of the trace at trace_dir (default: the latest usable one,
// falling back past corrupt ones with a message on stderr). The process gets the caller's
// stdin/stdout/stderr and process group, and is pinned to the recorded CPU. A checkpoint of
// several processes is refused (TreeRestart.h restarts those). Throws Error.
RestartedProcess restart_from_checkpoint(const std::filesystem::path& trace_dir,
                                         std::optional<uint32_t> checkpoint);

}  // namespace ckrr
