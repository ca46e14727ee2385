#include "replayer/gdb/PtraceDebugTarget.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "replayer/gdb/Svr4Libraries.h"

namespace ckrr::gdb {

namespace {
constexpr uint8_t kInt3 = 0xcc;
}

PtraceDebugTarget::PtraceDebugTarget(pid_t pid) : pid_(pid), task_(new Task(pid, pid)) {}

PtraceDebugTarget::~PtraceDebugTarget() {
  kill();
}

std::vector<ThreadInfo> PtraceDebugTarget::threads() {
  if (gone_) return {};
  std::ifstream comm("/proc/" + std::to_string(pid_) + "/comm");
  std::string name;
  std::getline(comm, name);
  return {{pid_, name}};
}

bool PtraceDebugTarget::has_avx() {
  static const bool avx = cpu_avx_xsave_offset().has_value();
  return avx;
}

std::optional<X86RegisterFile> PtraceDebugTarget::registers(ThreadId tid) {
  if (gone_ || tid != pid_) return std::nullopt;
  auto off = has_avx() ? cpu_avx_xsave_offset() : std::nullopt;
  auto x = task_->xstate();
  X86RegisterFile f = x86_registers_from_ptrace(task_->regs(), x, off);
  if (f.avx() != has_avx()) return std::nullopt;  // must match the target description
  return f;
}

size_t PtraceDebugTarget::read_memory(uint64_t addr, void* out, size_t len) {
  if (gone_) return 0;
  auto* p = static_cast<uint8_t*>(out);
  // Page by page, so a read running into an unmapped page still returns its readable prefix.
  size_t done = 0;
  while (done < len) {
    uint64_t a = addr + done;
    size_t chunk = std::min<size_t>(len - done, 4096 - (a & 4095));
    if (!task_->try_read(a, p + done, chunk)) break;
    done += chunk;
  }
  for (auto [bp, orig] : breakpoints_)
    if (bp >= addr && bp < addr + done) p[bp - addr] = orig;
  return done;
}

TargetResult PtraceDebugTarget::insert_breakpoint(BreakpointType type, uint64_t addr, size_t) {
  if (type != BreakpointType::Software) return TargetResult::Unsupported;
  if (gone_) return TargetResult::Error;
  if (breakpoints_.count(addr)) return TargetResult::Ok;
  uint8_t orig;
  if (!task_->try_read(addr, &orig, 1)) return TargetResult::Error;
  task_->write(addr, &kInt3, 1);
  breakpoints_[addr] = orig;
  return TargetResult::Ok;
}

TargetResult PtraceDebugTarget::remove_breakpoint(BreakpointType type, uint64_t addr, size_t) {
  if (type != BreakpointType::Software) return TargetResult::Unsupported;
  auto it = breakpoints_.find(addr);
  if (it == breakpoints_.end()) return TargetResult::Error;
  if (!gone_) task_->write(addr, &it->second, 1);
  breakpoints_.erase(it);
  return TargetResult::Ok;
}

std::optional<StopReason> PtraceDebugTarget::step_over_breakpoint(int sig) {
  uint64_t pc = task_->regs().rip;
  auto it = breakpoints_.find(pc);
  if (it == breakpoints_.end()) return std::nullopt;
  task_->write(pc, &it->second, 1);
  task_->single_step(sig);
  TaskStop s = task_->wait();
  if (!s.gone()) task_->write(pc, &kInt3, 1);
  if (s.gone() || !(s.kind == TaskStop::Kind::Signal && s.sig == SIGTRAP)) return report(s, true);
  return std::nullopt;
}

StopReason PtraceDebugTarget::resume(const ResumeRequest& req) {
  if (gone_) return StopReason::exited(0);
  if (req.direction == Direction::Backward)  // a live process has no history
    return StopReason::with(StopReason::Kind::ReplayBegin, pid_);
  if (req.interrupt_requested()) return StopReason::interrupted(pid_);
  bool on_breakpoint = breakpoints_.count(task_->regs().rip) > 0;
  if (req.step) {
    if (on_breakpoint) {
      if (auto stop = step_over_breakpoint(req.signal)) return *stop;
      return StopReason::with(StopReason::Kind::Step, pid_);
    }
    task_->single_step(req.signal);
    return report(task_->wait(), true);
  }
  int sig = req.signal;
  if (on_breakpoint) {
    if (auto stop = step_over_breakpoint(sig)) return *stop;
    sig = 0;  // delivered with the step
  }
  task_->cont(sig);
  return report(task_->wait(), false);
}

StopReason PtraceDebugTarget::report(const TaskStop& s, bool stepping) {
  if (s.kind == TaskStop::Kind::Exited) {
    gone_ = true;
    return StopReason::exited(s.code);
  }
  if (s.kind == TaskStop::Kind::Killed) {
    gone_ = true;
    StopReason r = StopReason::with(StopReason::Kind::Killed, 0, s.sig);
    return r;
  }
  if (s.sig == SIGSTOP) return StopReason::interrupted(pid_);  // from interrupt()
  if (s.sig == SIGTRAP) {
    Registers r = task_->regs();
    if (!stepping && breakpoints_.count(r.rip - 1)) {
      // int3 leaves pc after itself; gdb wants the breakpoint's address.
      r.rip -= 1;
      task_->set_regs(r);
      return StopReason::with(StopReason::Kind::SwBreakpoint, pid_);
    }
    if (stepping) return StopReason::with(StopReason::Kind::Step, pid_);
  }
  return StopReason::with(StopReason::Kind::Signal, pid_, s.sig);
}

void PtraceDebugTarget::interrupt() {
  if (!gone_) ::kill(pid_, SIGSTOP);
}

std::vector<uint8_t> PtraceDebugTarget::auxv() {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/auxv", std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::string PtraceDebugTarget::exec_file() {
  char buf[4096];
  std::string link = "/proc/" + std::to_string(pid_) + "/exe";
  ssize_t n = readlink(link.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::optional<Svr4LibraryList> PtraceDebugTarget::libraries() {
  if (gone_) return std::nullopt;
  return read_svr4_libraries(
      [this](uint64_t addr, void* out, size_t len) { return read_memory(addr, out, len); }, auxv());
}

MonitorResult PtraceDebugTarget::monitor(const std::string& command) {
  if (command == "ping") return {true, "pong\n"};
  if (command == "pid") return {true, std::to_string(pid_) + "\n"};
  return {false, "unknown monitor command '" + command + "' (this target knows: ping, pid)\n"};
}

void PtraceDebugTarget::kill() {
  if (gone_) return;
  gone_ = true;
  ::kill(pid_, SIGKILL);
  int st;
  waitpid(pid_, &st, __WALL);
}

}  // namespace ckrr::gdb
