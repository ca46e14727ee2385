#pragma once
// ckrr record: runs the program under ptrace + seccomp, turns every nondeterministic input into
// an event (dispatching each trapped syscall to the plugin that owns it), and writes the trace.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/CheckpointWriter.h"
#include "core/Task.h"
#include "plugins/PluginRegistry.h"
#include "plugins/ProcessState.h"
#include "plugins/SyscallContext.h"
#include "recorder/VirtualIds.h"
#include "storage/EventLogWriter.h"
#include "storage/FileStore.h"
#include "storage/LaunchInfo.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

struct RecordOptions {
  std::vector<std::string> argv;    // program and its arguments
  std::filesystem::path trace_dir;  // empty: a fresh directory under ./ckrr-traces/
  bool force = false;
  bool quiet = false;
  // `ckrr restart --record`: record the process rebuilt from a checkpoint of this trace
  // (argv is then unused) instead of starting a program.
  std::optional<std::filesystem::path> restart_from;
  std::optional<uint32_t> restart_checkpoint;
  // Periodic checkpoints, in nanoseconds of recording time; 0 = none (SIGUSR2 still works).
  uint64_t checkpoint_interval_ns = 1000000000ull;
};

class RecordSession : public SessionServices {
 public:
  explicit RecordSession(RecordOptions opt);
  ~RecordSession() override;
  // Records until the program ends. Returns the exit code for ckrr: the program's status
  // (128+N when killed by signal N), 127 if it cannot be found, 125 on a ckrr failure.
  int run();

  // SessionServices
  bool replaying() const override { return false; }
  FileStore* file_store() override { return store_.get(); }
  void note_mapped_file(const std::string& path, const std::string& stored, uint64_t size) override;
  std::string stored_file_path(const std::string& stored) override;
  void echo(int, const void*, size_t) override {}
  void finish_skipped(Task&) override;

 private:
  void start();
  void start_restarted(LaunchInfo& li);
  // What a restarted process must see as the result of nr instead of the kernel's.
  std::optional<int64_t> virtual_result(long nr, int64_t result) const;
  void loop();
  void on_syscall(Task& t);
  void on_exec(Task& t, Event& ev);
  void on_signal(Task& t, int sig);
  void on_gone(Task& t, int raw_status);
  void emit(Event& ev);
  // Resumes a task stopped right after an event, taking a checkpoint first when one is due.
  void resume_after_event(Task& t, const Event& ev);
  // Takes a checkpoint of the stopped task, resumes it, publishes. before_next_syscall: the
  // task is not right after event `seq` but at the syscall instruction of the next event.
  void take_checkpoint(Task& t, uint64_t seq, bool before_next_syscall);
  void checkpoint_in_blocked_syscall(Task& t);
  void deliver_deferred(Task& t);
  uint64_t now_ns() const;
  void stop_app(const std::string& why);
  void finish();

  RecordOptions opt_;
  PluginRegistry registry_;
  ProcessState proc_;
  std::unique_ptr<TraceDirectory> trace_;
  std::unique_ptr<TimelineIndex> index_;
  std::unique_ptr<EventLogWriter> log_;
  std::unique_ptr<FileStore> store_;
  std::unique_ptr<Task> task_;
  std::string program_;
  uint64_t start_ns_ = 0;  // monotonic_ns() when the program started
  uint64_t next_seq_ = 1;
  bool done_ = false;
  int exit_code_ = 0;
  std::string failure_;              // why the recording stopped early
  Registers last_exit_regs_{};       // registers when the last syscall returned
  bool at_boundary_ = false;         // no app code has run since the last syscall returned
  std::vector<siginfo_t> deferred_;  // async signals to deliver at the next syscall boundary
  uint64_t deferred_count_ = 0;
  VirtualIds ids_;  // equal virtual and real pids unless restarted
  pid_t virtual_ppid_ = 0;
  std::unique_ptr<CheckpointWriter> checkpoints_;
  uint64_t next_checkpoint_ns_ = 0;
  uint64_t checkpoint_count_ = 0;
};

}  // namespace ckrr
