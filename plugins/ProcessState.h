#pragma once
// What the plugins know about the recorded process that replay must rebuild identically
// without the real kernel objects: the fd table (files, pipes and sockets are emulated in
// replay, so no real fd exists), and the ids the app saw.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ckrr {

struct FdEntry {
  enum class Kind : uint8_t { File, Pipe, Socket, Epoll, EventFd, MemFd, Other };
  Kind kind = Kind::File;
  std::string path;  // as opened, or "pipe:[...]", "socket"
  bool cloexec = false;
  int std_stream = -1;  // 0/1/2 when it refers to the stdin/stdout/stderr ckrr was started with
};

struct ProcessState {
  pid_t recorded_pid = 0;  // the pid the app sees (virtual)
  pid_t real_pid = 0;      // the pid of the process now (differs in replay)
  std::map<int, FdEntry> fds;

  void reset_std_fds();
  const FdEntry* fd(int n) const;
  void dup_fd(int from, int to, bool cloexec);
  void close_fd(int n) { fds.erase(n); }
  void exec();  // drops close-on-exec fds
  // Canonical text of the fd table, for state digests and checkpoints.
  std::string describe_fds() const;
  void serialize(std::vector<uint8_t>& out) const;
  bool deserialize(const std::vector<uint8_t>& in);
};

}  // namespace ckrr
