#pragma once
// Writes change what other threads and processes see (a file, a pipe, a socket, the stdout that
// replay echoes): the order of their events must be the order in which the kernel applied them.
//
// A write that cannot wait (a regular file, a terminal, a pipe with room for it, a non-blocking
// fd) runs while its thread is the runner and every other thread is stopped; its event goes out
// at its return, where its effect is. One that may wait (a blocking socket, a pipe without room)
// gets an `enter` at once so that others (its reader) run meanwhile, and one that waits anyway is
// noticed after a tick and gets a late `enter`. From such an `enter` until the write's own event
// is out, its object is busy: every other write to that object waits at its entry (parked here),
// so the events of the writes to one object are always in the kernel's order.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "core/Task.h"

namespace ckrr {

class WriteOrder {
 public:
  struct Object {  // what an fd refers to: the file, pipe or socket itself, not the fd
    dev_t dev = 0;
    ino_t ino = 0;
    auto operator<=>(const Object&) const = default;
  };
  enum class Start {
    Alone,  // runs while the others are stopped; no `enter`
    Enter,  // may wait for someone else: `enter` now (its object is busy until its event)
    Wait,   // another write to its object is in the kernel: parked until that one's event
  };

  // How the write t is entering (call nr with args, a call written_fd() knows) starts.
  Start at_entry(Task& t, long nr, const uint64_t* args);
  // The write of thread tid went on waiting in the kernel (a late `enter`): its object is busy.
  void hold(pid_t tid, long nr, const uint64_t* args);
  // Frees the objects of the holders whose write is over (done(tid) true) and returns the threads
  // parked on them, in the order they arrived.
  std::vector<pid_t> release_finished(const std::function<bool(pid_t)>& done);
  bool idle() const { return holders_.empty() && parked_.empty(); }
  // Holders that threads have been parked behind for longer than `ns` (for the recorder to stop
  // them when nothing else can run: their reader may be one of the parked threads).
  std::vector<pid_t> stale_holders(uint64_t ns) const;
  // Writes that waited for another to the same object, and writes that got an `enter` at once
  // (for `ckrr info`).
  uint64_t waits() const { return waits_; }
  uint64_t entered() const { return entered_; }

 private:
  std::map<pid_t, Object> holders_;
  struct Parked {
    pid_t tid;
    Object object;
    uint64_t since_ns;  // CLOCK_MONOTONIC
  };
  std::vector<Parked> parked_;
  uint64_t waits_ = 0, entered_ = 0;
};

}  // namespace ckrr
