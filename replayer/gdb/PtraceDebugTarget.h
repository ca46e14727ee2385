#pragma once
// A DebugTarget on a live, single-threaded, ptrace-stopped process: forward execution only,
// registers and memory read-only. It exercises the stub against real gdb without the replay
// engine (tests), and documents what the replay engine's target has to do: hide breakpoints
// from memory reads, step over a breakpoint before resuming from it, report pc at the
// breakpoint. Every call must come from the thread that traces the process, except interrupt().
#include <sys/types.h>

#include <map>
#include <memory>

#include "core/Task.h"
#include "replayer/gdb/DebugTarget.h"

namespace ckrr::gdb {

class PtraceDebugTarget : public DebugTarget {
 public:
  // pid must be traced by the calling thread and stopped.
  explicit PtraceDebugTarget(pid_t pid);
  ~PtraceDebugTarget() override;

  int pid() override { return pid_; }
  std::vector<ThreadInfo> threads() override;
  ThreadId current_thread() override { return pid_; }
  bool has_avx() override;
  std::optional<X86RegisterFile> registers(ThreadId tid) override;
  size_t read_memory(uint64_t addr, void* out, size_t len) override;
  TargetResult insert_breakpoint(BreakpointType type, uint64_t addr, size_t len) override;
  TargetResult remove_breakpoint(BreakpointType type, uint64_t addr, size_t len) override;
  StopReason resume(const ResumeRequest& req) override;
  void interrupt() override;
  std::vector<uint8_t> auxv() override;
  std::string exec_file() override;
  std::optional<Svr4LibraryList> libraries() override;
  MonitorResult monitor(const std::string& command) override;
  void kill() override;

 private:
  // Single-steps over the breakpoint at pc, if any, putting it back afterwards. Returns a stop
  // when the step ended the process or hit a signal.
  std::optional<StopReason> step_over_breakpoint(int sig);
  StopReason report(const TaskStop& s, bool stepping);

  pid_t pid_;
  std::unique_ptr<Task> task_;
  bool gone_ = false;
  std::map<uint64_t, uint8_t> breakpoints_;  // address -> original byte
};

}  // namespace ckrr::gdb
