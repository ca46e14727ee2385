#pragma once
// The replay as gdb sees it: a gdb::DebugTarget over a ReplayTimeline. Translates gdb's
// requests (threads, registers, Z packets, resume in either direction, monitor commands) into
// the timeline's terms and its stops into gdb's.
#include <memory>

#include "replayer/ReplayTimeline.h"
#include "replayer/gdb/DebugTarget.h"

namespace ckrr {

class ReplayDebugTarget : public gdb::DebugTarget {
 public:
  explicit ReplayDebugTarget(ReplayOptions base, pid_t follow = 0)
      : trace_dir_(base.trace_dir), tl_(std::move(base), follow) {}

  int pid() override { return tl_.pid(); }
  std::vector<gdb::ThreadInfo> threads() override;
  gdb::ThreadId current_thread() override { return tl_.current_thread(); }
  bool has_avx() override;
  std::optional<gdb::X86RegisterFile> registers(gdb::ThreadId tid) override;
  size_t read_memory(uint64_t addr, void* out, size_t len) override {
    return tl_.read_memory(addr, out, len);
  }
  gdb::TargetResult insert_breakpoint(gdb::BreakpointType type, uint64_t addr, size_t len) override;
  gdb::TargetResult remove_breakpoint(gdb::BreakpointType type, uint64_t addr, size_t len) override;
  gdb::StopReason resume(const gdb::ResumeRequest& req) override;
  void interrupt() override { tl_.interrupt(); }
  std::vector<uint8_t> auxv() override { return tl_.auxv(); }
  std::string exec_file() override { return tl_.exec_file(); }
  std::optional<gdb::Svr4LibraryList> libraries() override;
  gdb::MonitorResult monitor(const std::string& command) override;
  void kill() override { tl_.kill(); }
  // The replay stays where it is for the next gdb (the stub keeps listening, as gdbserver).
  void detach() override {}

  ReplayTimeline& timeline() { return tl_; }

 private:
  std::filesystem::path trace_dir_;  // for the event text of `monitor when`
  ReplayTimeline tl_;
};

}  // namespace ckrr
