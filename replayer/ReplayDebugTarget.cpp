#include "replayer/ReplayDebugTarget.h"

#include <cstdio>
#include <sstream>

#include "decoder/EventDecoder.h"
#include "replayer/gdb/Svr4Libraries.h"
#include "storage/EventLogReader.h"

namespace ckrr {

namespace {

gdb::StopReason to_gdb(const TimelineStop& t) {
  using TK = TimelineStop::Kind;
  using GK = gdb::StopReason::Kind;
  gdb::StopReason r;
  r.thread = t.thread;
  r.signal = t.signal;
  r.exit_code = t.exit_code;
  switch (t.kind) {
    case TK::Signal:
      r.kind = GK::Signal;
      break;
    case TK::SwBreakpoint:
      r.kind = GK::SwBreakpoint;
      break;
    case TK::Watchpoint:
      r.kind = GK::Watchpoint;
      r.watch_kind = t.watch.kind;
      r.watch_addr = t.watch.addr;
      break;
    case TK::Step:
      r.kind = GK::Step;
      break;
    case TK::Interrupted:
      r.kind = GK::Interrupted;
      break;
    case TK::Exited:
      r.kind = GK::Exited;
      break;
    case TK::Killed:
      r.kind = GK::Killed;
      break;
    case TK::ReplayBegin:
      r.kind = GK::ReplayBegin;
      break;
    case TK::ReplayEnd:
      r.kind = GK::ReplayEnd;
      break;
  }
  return r;
}

}  // namespace

std::vector<gdb::ThreadInfo> ReplayDebugTarget::threads() {
  std::vector<gdb::ThreadInfo> out;
  for (const TimelineThread& t : tl_.threads()) out.push_back({t.tid, t.name});
  return out;
}

bool ReplayDebugTarget::has_avx() {
  static const bool avx = gdb::cpu_avx_xsave_offset().has_value();
  return avx;
}

std::optional<gdb::X86RegisterFile> ReplayDebugTarget::registers(gdb::ThreadId tid) {
  Task* t = tl_.task(tid);
  if (!t) return std::nullopt;
  auto off = has_avx() ? gdb::cpu_avx_xsave_offset() : std::nullopt;
  gdb::X86RegisterFile f = gdb::x86_registers_from_ptrace(t->regs(), t->xstate(), off);
  if (f.avx() != has_avx()) return std::nullopt;
  return f;
}

gdb::TargetResult ReplayDebugTarget::insert_breakpoint(gdb::BreakpointType type, uint64_t addr,
                                                       size_t len) {
  using BT = gdb::BreakpointType;
  bool ok;
  if (type == BT::Software || type == BT::Hardware) {
    ok = tl_.add_breakpoint(addr);
  } else {
    ok = tl_.add_watch({addr, len,
                        type == BT::WriteWatch  ? gdb::WatchKind::Write
                        : type == BT::ReadWatch ? gdb::WatchKind::Read
                                                : gdb::WatchKind::Access});
  }
  return ok ? gdb::TargetResult::Ok : gdb::TargetResult::Error;
}

gdb::TargetResult ReplayDebugTarget::remove_breakpoint(gdb::BreakpointType type, uint64_t addr,
                                                       size_t len) {
  using BT = gdb::BreakpointType;
  if (type == BT::Software || type == BT::Hardware) {
    tl_.remove_breakpoint(addr);
    return gdb::TargetResult::Ok;
  }
  return tl_.remove_watch(addr, len) ? gdb::TargetResult::Ok : gdb::TargetResult::Error;
}

gdb::StopReason ReplayDebugTarget::resume(const gdb::ResumeRequest& req) {
  tl_.set_interrupt_flag(req.interrupt_flag);
  if (req.direction == gdb::Direction::Backward)
    return to_gdb(req.step ? tl_.step_backward(req.thread) : tl_.continue_backward());
  return to_gdb(req.step ? tl_.step_forward(req.thread) : tl_.continue_forward());
}

std::optional<gdb::Svr4LibraryList> ReplayDebugTarget::libraries() {
  if (tl_.exited()) return std::nullopt;
  return gdb::read_svr4_libraries(
      [this](uint64_t addr, void* out, size_t len) { return read_memory(addr, out, len); }, auxv());
}

gdb::MonitorResult ReplayDebugTarget::monitor(const std::string& command) {
  std::istringstream in(command);
  std::string word;
  in >> word;
  const Position& pos = tl_.position();
  if (word == "when") {
    std::string out =
        "event " + std::to_string(pos.event) + " of " + std::to_string(tl_.total_events()) + "\n";
    if (TimelineIndex* index = tl_.index()) {
      auto first = index->event(1);
      auto here = index->event(pos.event);
      if (first && here) {
        char buf[64];
        snprintf(buf, sizeof buf, "time: %.6f s since the start\n",
                 (here->time_ns - first->time_ns) / 1e9);
        out += buf;
      }
    }
    out += "thread: " + std::to_string(tl_.current_thread()) + "\n";
    if (TimelineIndex* index = tl_.index()) {
      // The event itself, as `ckrr events` shows it.
      try {
        if (auto row = index->event(pos.event)) {
          EventLogReader log(trace_dir_ / "events.log");
          log.seek(row->chunk_offset, row->chunk_index);
          Event ev;
          if (log.next(ev) && ev.seq == pos.event) out += "call: " + describe_event(ev) + "\n";
        }
      } catch (const std::exception&) {
        // A torn or damaged log: the position and time above still hold.
      }
    }
    out += "position: " + pos.describe() + "\n";
    return {true, out};
  }
  if (word == "seek") {
    uint64_t n = 0;
    if (!(in >> n)) return {false, "usage: monitor seek EVENT\n"};
    if (n < tl_.start_event() || n > tl_.total_events())
      return {false, "event " + std::to_string(n) + " is outside the program's run (" +
                         std::to_string(tl_.start_event()) + ".." +
                         std::to_string(tl_.total_events()) + ")\n"};
    if (!tl_.seek(n)) return {false, "interrupted at " + tl_.position().describe() + "\n"};
    return {true, "at " + tl_.position().describe() + "\n"};
  }
  if (word == "checkpoints") {
    std::string out;
    if (TimelineIndex* index = tl_.index())
      for (const CheckpointRow& c : index->checkpoints())
        out += "checkpoint " + std::to_string(c.id) + " at event " + std::to_string(c.seq) +
               " (on disk)\n";
    if (out.empty()) out = "no checkpoints on disk (record with --checkpoint-interval)\n";
    for (uint64_t event : tl_.snapshot_events())
      out += "in memory at event " + std::to_string(event) + "\n";
    return {true, out};
  }
  if (word == "checkpoint") {
    // Copies are taken at event boundaries (the process is then in a known state); between
    // two events the latest boundary's copy plus the path serves.
    if (!pos.path.empty() || pos.end)
      return {false, "in-memory checkpoints are taken at events; this position is " +
                         pos.describe() + ": 'monitor seek " + std::to_string(pos.event) +
                         "' first\n"};
    if (!tl_.snapshot_here()) return {false, "cannot copy the process here\n"};
    return {true, "in-memory checkpoint at event " + std::to_string(pos.event) + "\n"};
  }
  if (word == "help" || word.empty())
    return {true,
            "monitor when            current event, time, thread and position\n"
            "monitor seek EVENT      go to right after EVENT (then: maintenance flush "
            "register-cache)\n"
            "monitor checkpoints     the recording's checkpoints and the in-memory ones\n"
            "monitor checkpoint      keep an in-memory copy of the process here (at an event)\n"};
  return {false, "unknown monitor command '" + command + "' (try 'monitor help')\n"};
}

}  // namespace ckrr
