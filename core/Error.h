#pragma once
// Errors that reach the user. Each carries a message meant to be printed as is.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace ckrr {

// A failure the user can act on (bad input, missing program, unsupported syscall...).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// A trace on disk is missing, corrupt, truncated or of another format version.
class TraceError : public Error {
 public:
  explicit TraceError(const std::string& what) : Error(what) {}
};

// errno as text, for messages: "open: No such file or directory".
std::string errno_text(const std::string& what, int err);

}  // namespace ckrr

namespace ckrr {

// Replay did not reproduce the recording. Carries the event number, what the recording says
// and what replay found.
class Divergence : public Error {
 public:
  Divergence(uint64_t seq, int tid, const std::string& what, const std::string& expected,
             const std::string& actual)
      : Error("replay diverged at event " + std::to_string(seq) + " (thread " +
              std::to_string(tid) + "): " + what + "\n  expected: " + expected +
              "\n  actual:   " + actual),
        seq_(seq) {}
  uint64_t seq() const { return seq_; }

 private:
  uint64_t seq_;
};

}  // namespace ckrr
