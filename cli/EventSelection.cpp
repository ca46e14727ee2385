#include "cli/EventSelection.h"

#include "core/Error.h"
#include "decoder/SyscallSignatures.h"

namespace ckrr {

namespace {

const std::set<std::string>& memory_calls() {
  static const std::set<std::string> k = {"mmap",    "munmap",  "mprotect", "brk",
                                          "mremap",  "madvise", "msync",    "mlock",
                                          "munlock", "mincore", "shmat",    "shmdt"};
  return k;
}
const std::set<std::string>& process_calls() {
  static const std::set<std::string> k = {"clone",    "clone3", "fork",       "vfork", "execve",
                                          "execveat", "exit",   "exit_group", "wait4", "waitid",
                                          "kill",     "tgkill", "tkill"};
  return k;
}
const std::set<std::string>& signal_calls() {
  static const std::set<std::string> k = {"rt_sigaction",    "rt_sigprocmask",
                                          "rt_sigreturn",    "rt_sigsuspend",
                                          "rt_sigpending",   "rt_sigtimedwait",
                                          "rt_sigqueueinfo", "rt_tgsigqueueinfo",
                                          "sigaltstack",     "kill",
                                          "tgkill",          "tkill",
                                          "pause",           "signalfd",
                                          "signalfd4"};
  return k;
}
const std::set<std::string>& network_calls() {
  static const std::set<std::string> k = {
      "socket",  "socketpair",  "bind",        "listen",   "accept",     "accept4",
      "connect", "getsockname", "getpeername", "sendto",   "recvfrom",   "sendmsg",
      "recvmsg", "sendmmsg",    "recvmmsg",    "shutdown", "setsockopt", "getsockopt"};
  return k;
}

bool has_arg(const std::string& name, bool (*pred)(ArgType)) {
  const SyscallSignature* s = syscall_signature(name);
  if (!s) return false;
  for (const auto& a : s->args)
    if (pred(a.type)) return true;
  return false;
}

bool in_class(const std::string& cls, const std::string& name) {
  if (cls == "file") return has_arg(name, [](ArgType t) { return t == ArgType::Path; });
  if (cls == "desc")
    return has_arg(name, [](ArgType t) { return t == ArgType::Fd || t == ArgType::AtFd; });
  if (cls == "memory") return memory_calls().count(name) > 0;
  if (cls == "process") return process_calls().count(name) > 0;
  if (cls == "signal") return signal_calls().count(name) > 0;
  if (cls == "network") return network_calls().count(name) > 0;
  return false;
}

}  // namespace

void EventSelection::set_trace(const std::string& spec_in) {
  std::string spec = spec_in;
  if (spec.rfind("trace=", 0) == 0) spec = spec.substr(6);
  if (!spec.empty() && spec[0] == '!') {
    negate_ = true;
    spec = spec.substr(1);
  }
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string item =
        spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) {
      if (item[0] == '%') {
        static const std::set<std::string> kClasses = {"file",    "desc",   "memory",
                                                       "process", "signal", "network"};
        if (!kClasses.count(item.substr(1)))
          throw Error("unknown class '" + item +
                      "' (%file, %desc, %memory, %process, %signal, %network)");
        classes_.insert(item.substr(1));
      } else {
        names_.insert(item);
      }
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (names_.empty() && classes_.empty()) throw Error("-e trace= names no call");
}

void EventSelection::set_grep(const std::string& regex) {
  try {
    grep_.emplace(regex, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw Error("--grep '" + regex + "': " + e.what());
  }
}

bool EventSelection::row_matches(EventKind k, int32_t t, int32_t p, const std::string& name,
                                 int64_t result) const {
  if (kind && k != *kind) return false;
  if (tid && t != *tid) return false;
  if (pid && p != *pid) return false;
  if (errors_only && !(k == EventKind::Syscall && result < 0 && result >= -4095)) return false;
  if (names_.empty() && classes_.empty()) return true;
  bool hit = names_.count(name) > 0;
  for (const auto& c : classes_) hit = hit || in_class(c, name);
  return hit != negate_;
}

}  // namespace ckrr
