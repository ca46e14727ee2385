#include "recorder/AgentRecording.h"

#include <sys/ptrace.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/Error.h"
#include "core/MemoryMap.h"
#include "core/ScratchPage.h"

namespace ckrr {

namespace {

// The library next to ckrr: the build tree (cli/ckrr, agent/) or an install (bin/, lib/ckrr/).
std::string find_agent() {
  if (const char* p = getenv("CKRR_AGENT_PATH")) return p;
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (const char* rel : {"../agent/libckrr_agent.so", "../lib/ckrr/libckrr_agent.so"}) {
    std::filesystem::path p = exe.parent_path() / rel;
    if (std::filesystem::exists(p, ec)) return std::filesystem::weakly_canonical(p, ec).string();
  }
  return "";
}

}  // namespace

AgentRecording::AgentRecording(bool enabled)
    : enabled_(enabled), channel_(enabled ? AgentChannel::Mode::Record : AgentChannel::Mode::Off) {}

bool AgentRecording::allowed_by_env() {
  // On by default; CKRR_AGENT=0 turns it off (comparisons, bug reports).
  const char* e = getenv("CKRR_AGENT");
  return !(e && std::string(e) == "0");
}

void AgentRecording::prepare_env(std::vector<std::string>& envp) {
  if (!enabled_) return;
  std::string lib = find_agent();
  if (lib.empty()) {
    std::cerr << "ckrr: warning: libckrr_agent.so not found next to ckrr; recording without "
                 "the agent (every syscall stops)\n";
    enabled_ = false;
    return;
  }
  // A sanitizer-built program refuses to start when its runtime is not the first library
  // loaded (the agent is, through LD_PRELOAD): that check is turned off, nothing else.
  bool preload = false, asan = false;
  for (std::string& e : envp) {
    if (e.starts_with("LD_PRELOAD=")) {
      e = "LD_PRELOAD=" + lib + (e.size() > 11 ? ":" + e.substr(11) : "");
      preload = true;
    } else if (e.starts_with("ASAN_OPTIONS=")) {
      e += (e.size() > 13 ? ":" : "") + std::string("verify_asan_link_order=0");
      asan = true;
    }
  }
  if (!preload) envp.push_back("LD_PRELOAD=" + lib);
  if (!asan) envp.push_back("ASAN_OPTIONS=verify_asan_link_order=0");
}

std::vector<Event> AgentRecording::at_stop(Task& t, int32_t rec_tid, pid_t rec_pid, bool seccomp,
                                           bool exiting) {
  std::vector<Event> evs = channel_.take_records(t, rec_tid, exiting);
  auto& [buffered, stopped] = counts_[rec_pid];
  buffered += evs.size();
  if (seccomp) ++stopped;
  return evs;
}

std::vector<Event> AgentRecording::at_stop(Task& t, int32_t rec_tid, pid_t rec_pid,
                                           const TaskStop& s) {
  std::vector<Event> evs = at_stop(t, rec_tid, rec_pid, s.kind == TaskStop::Kind::Seccomp,
                                   s.kind == TaskStop::Kind::Exit);
  if (!enabled_) return evs;
  if (s.kind == TaskStop::Kind::Clone && s.ptrace_event == PTRACE_EVENT_VFORK) {
    if (!off_.contains(rec_tid) && vforked_.insert(rec_tid).second)
      channel_.set_mode(t, rec_tid, AgentChannel::Mode::Off);
  } else if (s.kind == TaskStop::Kind::Seccomp && vforked_.erase(rec_tid)) {
    channel_.set_mode(t, rec_tid, AgentChannel::Mode::Record);
  }
  return evs;
}

void AgentRecording::traced_by_app(Task& t, int32_t rec_tid) {
  if (!enabled_ || off_.contains(rec_tid)) return;
  try {
    channel_.set_mode(t, rec_tid, AgentChannel::Mode::Off);
    off_.insert(rec_tid);
    vforked_.erase(rec_tid);
  } catch (const Error&) {  // gone meanwhile: nothing to turn off
  }
}

bool AgentRecording::inside(Task& t, uint64_t rip) {
  if (rip >= kScratchPageAddr && rip < kScratchPageAddr + kScratchPageSize) return true;
  for (const Mapping& m : read_memory_map(t.tid()))
    if (rip >= m.start && rip < m.end) return m.path.ends_with("/libckrr_agent.so");
  return false;
}

std::string AgentRecording::counts_text() const {
  std::string s;
  for (const auto& [pid, c] : counts_) {
    if (!s.empty()) s += ", ";
    s += std::to_string(pid) + ": " + std::to_string(c.first) + " buffered, " +
         std::to_string(c.second) + " stopped";
  }
  return s;
}

}  // namespace ckrr
