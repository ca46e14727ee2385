#pragma once
// Turns a recorded syscall event into readable text: named arguments with decoded flags
// (O_*, PROT_*, MAP_*, CLONE_*...), and the result with its errno name.
#include <cstdint>
#include <string>
#include <vector>

#include "storage/Event.h"

namespace ckrr::gui {

struct DecodedArg {
  std::string name;   // "fd", "flags"...
  std::string value;  // "3", "O_RDONLY|O_CLOEXEC", "\"/etc/passwd\""
};

struct DecodedCall {
  std::string name;              // "openat"
  std::vector<DecodedArg> args;  // empty when the syscall's signature is unknown: raw args
  std::string result;            // "3", "-1 ENOENT (No such file or directory)", "0x7f..."
  bool error = false;
  std::string oneLine() const;  // openat(dirfd=AT_FDCWD, path="/etc/passwd", ...) = 3
};

DecodedCall decodeSyscall(const Event& e, const std::string& name);
// "ENOENT (No such file or directory)" for 2; "errno 9999" when unknown.
std::string errnoText(int err);
// Flag-set text for a known flag family, e.g. decodeFlags("open", 0x80000) = "O_RDONLY|O_CLOEXEC".
std::string decodeFlags(const std::string& family, uint64_t value);

}  // namespace ckrr::gui
