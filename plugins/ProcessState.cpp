#include "plugins/ProcessState.h"

#include <cstring>

namespace ckrr {

void ProcessState::reset_std_fds() {
  fds.clear();
  for (int i = 0; i < 3; ++i) {
    FdEntry e;
    e.kind = FdEntry::Kind::Other;
    e.path = i == 0 ? "<stdin>" : i == 1 ? "<stdout>" : "<stderr>";
    e.std_stream = i;
    fds[i] = e;
  }
}

const FdEntry* ProcessState::fd(int n) const {
  auto it = fds.find(n);
  return it == fds.end() ? nullptr : &it->second;
}

void ProcessState::dup_fd(int from, int to, bool cloexec) {
  auto it = fds.find(from);
  if (it == fds.end()) return;
  FdEntry e = it->second;
  e.cloexec = cloexec;
  fds[to] = e;
}

void ProcessState::exec() {
  for (auto it = fds.begin(); it != fds.end();) {
    if (it->second.cloexec)
      it = fds.erase(it);
    else
      ++it;
  }
}

std::string ProcessState::describe_fds() const {
  std::string s;
  for (const auto& [n, e] : fds) {
    s += std::to_string(n) + " " + std::to_string(static_cast<int>(e.kind)) + " " +
         (e.cloexec ? "cloexec " : "") + std::to_string(e.std_stream) + " " + e.path + "\n";
  }
  return s;
}

void ProcessState::serialize(std::vector<uint8_t>& out) const {
  std::string s = std::to_string(recorded_pid) + "\n" + describe_fds();
  out.assign(s.begin(), s.end());
}

bool ProcessState::deserialize(const std::vector<uint8_t>& in) {
  std::string s(in.begin(), in.end());
  size_t nl = s.find('\n');
  if (nl == std::string::npos) return false;
  recorded_pid = std::stoi(s.substr(0, nl));
  fds.clear();
  size_t pos = nl + 1;
  while (pos < s.size()) {
    size_t end = s.find('\n', pos);
    if (end == std::string::npos) return false;
    std::string line = s.substr(pos, end - pos);
    pos = end + 1;
    int n = 0, kind = 0, stdstream = -1, consumed = 0;
    char flag[16] = {};
    FdEntry e;
    if (sscanf(line.c_str(), "%d %d %n", &n, &kind, &consumed) < 2) return false;
    std::string rest = line.substr(consumed);
    if (rest.rfind("cloexec ", 0) == 0) {
      e.cloexec = true;
      rest = rest.substr(8);
    }
    if (sscanf(rest.c_str(), "%d %n", &stdstream, &consumed) < 1) return false;
    (void)flag;
    e.kind = static_cast<FdEntry::Kind>(kind);
    e.std_stream = stdstream;
    e.path = rest.substr(consumed);
    fds[n] = e;
  }
  return true;
}

}  // namespace ckrr
