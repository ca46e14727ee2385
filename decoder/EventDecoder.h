#pragma once
// One event as a person reads it, the way strace prints a call:
//   openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3
//   fstat(3</etc/ld.so.cache>, {st_mode=S_IFREG|0644, st_size=27005, ...}) = 0
//   --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---
//   +++ exited with 0 +++
// `ckrr events`, divergence reports, `monitor when` and the GUI all render events here.
// EventDecoder can follow the events in order to name fds (the path an fd was opened with).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "storage/Event.h"

namespace ckrr {

struct DecodedArg {
  std::string name;   // "dirfd", "flags"...
  std::string value;  // "AT_FDCWD", "O_RDONLY|O_CLOEXEC", "\"/etc/passwd\""
};

struct DecodedEvent {
  std::string name;              // "openat", "SIGSEGV", "rdtsc", "exit"
  bool call = false;             // rendered as name(args) = result
  std::vector<DecodedArg> args;  // for calls
  std::string result;            // "3", "-1 ENOENT (No such file or directory)", "0x7f...", "?"
  bool error = false;
  std::string errno_name;  // "ENOENT" when error
  std::string text;        // the whole line, strace style
  // name(dirfd=AT_FDCWD, pathname="/etc/passwd", ...) = 3: the same with argument names.
  std::string named_text() const;
};

struct DecodeOptions {
  size_t string_limit = 32;  // bytes shown of a buffer, like strace -s
  bool fd_names = true;      // 3</etc/passwd>, where the decoder followed the open
};

class EventDecoder {
 public:
  explicit EventDecoder(DecodeOptions options = {}) : options_(options) {}

  // Which process a thread belongs to (fd tables are per process). Without it, every thread
  // is taken as its own process.
  void set_process_of(std::function<int32_t(int32_t tid)> fn) { process_of_ = std::move(fn); }

  DecodedEvent decode(const Event& e) const;
  // Follows the event's effect on fd names (open, close, dup, pipe, fork, exec).
  void observe(const Event& e);
  // Whether observe() can learn anything from an event of this kind and name: a reader that
  // skips events loads those anyway, so later fds keep their names.
  static bool changes_fds(EventKind kind, const std::string& name);
  // decode() then observe().
  DecodedEvent next(const Event& e);

 private:
  int32_t process(int32_t tid) const { return process_of_ ? process_of_(tid) : tid; }
  std::string fd_text(int32_t tid, int64_t fd) const;

  struct FdName {
    std::string name;
    bool cloexec = false;
  };
  DecodeOptions options_;
  std::function<int32_t(int32_t)> process_of_;
  std::map<std::pair<int32_t, int32_t>, FdName> fds_;  // (process, fd) -> name
};

// Shorthand for one event without following fds (divergence messages, tests).
std::string describe_event(const Event& e);

}  // namespace ckrr
