#pragma once
// Which events `ckrr events` prints: kind, thread, process, names (strace's -e trace= syntax:
// names, %file/%desc/%memory/%process/%signal/%network classes, a leading '!' negates), failed
// calls only, a regular expression over the decoded line.
#include <cstdint>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include "storage/Event.h"

namespace ckrr {

class EventSelection {
 public:
  std::optional<EventKind> kind;
  std::optional<int32_t> tid;
  std::optional<int32_t> pid;
  bool errors_only = false;

  // "openat,read", "%file", "!futex,mmap"; throws Error on an unknown class or empty set.
  void set_trace(const std::string& spec);
  void add_name(const std::string& name) { names_.insert(name); }
  // ECMAScript regular expression; throws Error when malformed.
  void set_grep(const std::string& regex);

  // What the index row alone decides.
  bool row_matches(EventKind k, int32_t tid, int32_t pid, const std::string& name,
                   int64_t result) const;
  bool text_matches(const std::string& text) const {
    return !grep_ || std::regex_search(text, *grep_);
  }

 private:
  std::set<std::string> names_;    // empty: any
  std::set<std::string> classes_;  // "file", "desc"...
  bool negate_ = false;
  std::optional<std::regex> grep_;
};

}  // namespace ckrr
