#include "recorder/JobStops.h"

#include <signal.h>
#include <sys/ptrace.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace ckrr {

bool in_group_stop(pid_t tid) {
  siginfo_t si;
  return ptrace(PTRACE_GETSIGINFO, tid, nullptr, &si) == -1 && errno == EINVAL;
}

bool sigcont_pending(pid_t tid) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  const uint64_t bit = uint64_t{1} << (SIGCONT - 1);
  while (std::getline(status, line))
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0)
      if (std::stoull(line.substr(7), nullptr, 16) & bit) return true;
  return false;
}

}  // namespace ckrr
