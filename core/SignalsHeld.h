#pragma once
// Blocks every signal of a ptrace-stopped thread while ckrr injects syscalls into it
// (checkpoint capture, restore), and gives its own mask back after. A signal that comes
// meanwhile (a fast POSIX timer's, say) stays pending and is delivered once the thread runs
// again, instead of stopping an injected call ("unexpected signal") and failing the capture.
// SIGKILL and SIGSTOP cannot be blocked.
#include <signal.h>
#include <sys/ptrace.h>

#include <cstdint>

#include "core/Task.h"

namespace ckrr {

class SignalsHeld {
 public:
  explicit SignalsHeld(Task& t) : tid_(t.tid()) {
    held_ = ptrace(PTRACE_GETSIGMASK, tid_, sizeof mask_, &mask_) == 0;
    uint64_t all = ~0ull;
    if (held_) held_ = ptrace(PTRACE_SETSIGMASK, tid_, sizeof all, &all) == 0;
  }
  ~SignalsHeld() {
    if (held_) ptrace(PTRACE_SETSIGMASK, tid_, sizeof mask_, &mask_);
  }
  SignalsHeld(const SignalsHeld&) = delete;
  SignalsHeld& operator=(const SignalsHeld&) = delete;
  // The thread's own mask (what it had before).
  uint64_t mask() const { return mask_; }
  bool held() const { return held_; }

 private:
  pid_t tid_;
  uint64_t mask_ = 0;
  bool held_ = false;
};

}  // namespace ckrr
