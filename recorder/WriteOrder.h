#pragma once
// Writes change what other threads and processes see (a file, a pipe, a socket, the stdout that
// replay echoes): the order of their events must be the order in which the kernel applied them.
// So a write runs while its thread is the runner and every other thread is stopped, and its event
// goes out at its return (RecordSession never gives it an `enter` up front). One that really waits
// (a full pipe) is noticed after a tick and gets a late `enter`; until its event is written its
// object is busy, and every other write to that object waits at its entry (parked here), so the
// events of the writes to one object stay in the kernel's order.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace ckrr {

class WriteOrder {
 public:
  struct Object {  // what an fd refers to: the file, pipe or socket itself, not the fd
    dev_t dev = 0;
    ino_t ino = 0;
    auto operator<=>(const Object&) const = default;
  };

  // What fd N of thread tid refers to; nullopt when it is not open.
  static std::optional<Object> object_of(pid_t tid, int fd);

  // The write of thread tid (call nr with args) goes on waiting in the kernel: its object is busy
  // until done() says its event went out.
  void hold(pid_t tid, long nr, const uint64_t* args);
  // True when thread tid, at the entry of call nr, must wait for another thread's write to the
  // same object; it is then parked until that write's event is out (release_finished).
  bool must_wait(pid_t tid, long nr, const uint64_t* args);
  // Frees the objects of the holders whose write is over (done(tid) true) and returns the threads
  // parked on them, in the order they arrived.
  std::vector<pid_t> release_finished(const std::function<bool(pid_t)>& done);
  bool idle() const { return holders_.empty() && parked_.empty(); }
  // Writes that had to wait for another (for `ckrr info`).
  uint64_t waits() const { return waits_; }

 private:
  std::map<pid_t, Object> holders_;
  std::vector<std::pair<pid_t, Object>> parked_;
  uint64_t waits_ = 0;
};

}  // namespace ckrr
