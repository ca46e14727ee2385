#pragma once
// A scripted DebugTarget for the protocol tests: two threads, a few bytes of memory, and a
// queue of stop reasons resume() hands out in order.
#include <cstring>
#include <deque>
#include <map>
#include <set>

#include "replayer/gdb/DebugTarget.h"

namespace ckrr::gdb::test {

class FakeTarget : public DebugTarget {
 public:
  FakeTarget() {
    memory_base = 0x400000;
    memory.resize(64);
    for (size_t i = 0; i < memory.size(); i++) memory[i] = static_cast<uint8_t>(i);
  }
  int pid() override { return 100; }
  std::vector<ThreadInfo> threads() override { return {{100, "main"}, {101, "worker"}}; }
  ThreadId current_thread() override { return current; }
  bool has_avx() override { return avx; }
  std::optional<X86RegisterFile> registers(ThreadId tid) override {
    if (tid != 100 && tid != 101) return std::nullopt;
    X86RegisterFile f(avx);
    f.set_u64(kRax, 0x1111);
    f.set_u64(kRip, tid == 100 ? 0x401000 : 0x402000);
    return f;
  }
  size_t read_memory(uint64_t addr, void* out, size_t len) override {
    if (addr < memory_base || addr >= memory_base + memory.size()) return 0;
    size_t n = std::min<size_t>(len, memory_base + memory.size() - addr);
    std::memcpy(out, memory.data() + (addr - memory_base), n);
    return n;
  }
  TargetResult insert_breakpoint(BreakpointType type, uint64_t addr, size_t) override {
    if (type == BreakpointType::ReadWatch) return TargetResult::Unsupported;
    breakpoints.insert({static_cast<int>(type), addr});
    return TargetResult::Ok;
  }
  TargetResult remove_breakpoint(BreakpointType type, uint64_t addr, size_t) override {
    return breakpoints.erase({static_cast<int>(type), addr}) ? TargetResult::Ok
                                                             : TargetResult::Error;
  }
  StopReason resume(const ResumeRequest& req) override {
    requests.push_back(req);
    if (block_until_interrupt) {
      while (!req.interrupt_requested()) {
      }
      return StopReason::interrupted(current);
    }
    if (stops.empty()) return StopReason::with(StopReason::Kind::Step, current);
    StopReason s = stops.front();
    stops.pop_front();
    if (s.thread) current = s.thread;
    return s;
  }
  std::vector<uint8_t> auxv() override { return {6, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0}; }
  std::string exec_file() override { return "/usr/bin/app"; }
  std::optional<Svr4LibraryList> libraries() override {
    Svr4LibraryList l;
    l.main_lm = 0x7000;
    l.libraries.push_back({"/lib/libc.so.6", 0x7100, 0x7f0000000000, 0x7f0000100000});
    return l;
  }
  MonitorResult monitor(const std::string& cmd) override {
    if (cmd == "when") return {true, "event 42\n"};
    return {false, "unknown monitor command: " + cmd + "\n"};
  }
  void kill() override { killed = true; }

  ThreadId current = 100;
  bool avx = false;
  bool killed = false;
  bool block_until_interrupt = false;
  uint64_t memory_base;
  std::vector<uint8_t> memory;
  std::set<std::pair<int, uint64_t>> breakpoints;
  std::deque<StopReason> stops;
  std::vector<ResumeRequest> requests;
};

}  // namespace ckrr::gdb::test
