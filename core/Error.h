#pragma once
// Errors that reach the user. Each carries a message meant to be printed as is.
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
