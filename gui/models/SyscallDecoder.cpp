#include "gui/models/SyscallDecoder.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include <cstdio>
#include <map>
#include <string_view>

namespace ckrr::gui {
namespace {

enum class A {
  Int,
  Fd,
  AtFd,
  Hex,
  Size,
  Path,
  Buf,
  Open,
  Mode,
  Prot,
  Map,
  Clone,
  Sig,
  Futex,
  Whence,
  Ptr
};

struct Sig {
  std::vector<std::pair<const char*, A>> args;
  bool returns_ptr = false;
};

const std::map<std::string_view, Sig>& signatures() {
  static const std::map<std::string_view, Sig> kSigs = {
      {"read", {{{"fd", A::Fd}, {"buf", A::Ptr}, {"count", A::Size}}}},
      {"write", {{{"fd", A::Fd}, {"buf", A::Buf}, {"count", A::Size}}}},
      {"pread64", {{{"fd", A::Fd}, {"buf", A::Ptr}, {"count", A::Size}, {"offset", A::Int}}}},
      {"pwrite64", {{{"fd", A::Fd}, {"buf", A::Buf}, {"count", A::Size}, {"offset", A::Int}}}},
      {"open", {{{"path", A::Path}, {"flags", A::Open}, {"mode", A::Mode}}}},
      {"openat", {{{"dirfd", A::AtFd}, {"path", A::Path}, {"flags", A::Open}, {"mode", A::Mode}}}},
      {"close", {{{"fd", A::Fd}}}},
      {"fstat", {{{"fd", A::Fd}, {"statbuf", A::Ptr}}}},
      {"stat", {{{"path", A::Path}, {"statbuf", A::Ptr}}}},
      {"lstat", {{{"path", A::Path}, {"statbuf", A::Ptr}}}},
      {"newfstatat",
       {{{"dirfd", A::AtFd}, {"path", A::Path}, {"statbuf", A::Ptr}, {"flags", A::Hex}}}},
      {"lseek", {{{"fd", A::Fd}, {"offset", A::Int}, {"whence", A::Whence}}}},
      {"mmap",
       {{{"addr", A::Hex},
         {"length", A::Size},
         {"prot", A::Prot},
         {"flags", A::Map},
         {"fd", A::Fd},
         {"offset", A::Hex}},
        true}},
      {"mprotect", {{{"addr", A::Hex}, {"length", A::Size}, {"prot", A::Prot}}}},
      {"munmap", {{{"addr", A::Hex}, {"length", A::Size}}}},
      {"brk", {{{"addr", A::Hex}}, true}},
      {"clone",
       {{{"flags", A::Clone},
         {"stack", A::Ptr},
         {"parent_tid", A::Ptr},
         {"child_tid", A::Ptr},
         {"tls", A::Hex}}}},
      {"kill", {{{"pid", A::Int}, {"sig", A::Sig}}}},
      {"tgkill", {{{"tgid", A::Int}, {"tid", A::Int}, {"sig", A::Sig}}}},
      {"rt_sigaction", {{{"sig", A::Sig}, {"act", A::Ptr}, {"oldact", A::Ptr}}}},
      {"futex", {{{"uaddr", A::Ptr}, {"op", A::Futex}, {"val", A::Int}, {"timeout", A::Ptr}}}},
      {"getrandom", {{{"buf", A::Ptr}, {"count", A::Size}, {"flags", A::Hex}}}},
      {"clock_gettime", {{{"clockid", A::Int}, {"tp", A::Ptr}}}},
      {"nanosleep", {{{"req", A::Ptr}, {"rem", A::Ptr}}}},
      {"poll", {{{"fds", A::Ptr}, {"nfds", A::Int}, {"timeout_ms", A::Int}}}},
      {"dup", {{{"fd", A::Fd}}}},
      {"dup2", {{{"oldfd", A::Fd}, {"newfd", A::Fd}}}},
      {"pipe2", {{{"fds", A::Ptr}, {"flags", A::Open}}}},
      {"socket", {{{"domain", A::Int}, {"type", A::Hex}, {"protocol", A::Int}}}},
      {"connect", {{{"fd", A::Fd}, {"addr", A::Ptr}, {"addrlen", A::Int}}}},
      {"sendto", {{{"fd", A::Fd}, {"buf", A::Buf}, {"len", A::Size}, {"flags", A::Hex}}}},
      {"recvfrom", {{{"fd", A::Fd}, {"buf", A::Ptr}, {"len", A::Size}, {"flags", A::Hex}}}},
      {"execve", {{{"path", A::Path}, {"argv", A::Ptr}, {"envp", A::Ptr}}}},
      {"exit", {{{"status", A::Int}}}},
      {"exit_group", {{{"status", A::Int}}}},
      {"wait4", {{{"pid", A::Int}, {"status", A::Ptr}, {"options", A::Hex}, {"rusage", A::Ptr}}}},
      {"ioctl", {{{"fd", A::Fd}, {"request", A::Hex}, {"arg", A::Hex}}}},
      {"getdents64", {{{"fd", A::Fd}, {"dirp", A::Ptr}, {"count", A::Size}}}},
      {"access", {{{"path", A::Path}, {"mode", A::Int}}}},
      {"readlink", {{{"path", A::Path}, {"buf", A::Ptr}, {"size", A::Size}}}},
  };
  return kSigs;
}

struct Flag {
  uint64_t bit;
  const char* name;
};

std::string flagList(uint64_t v, const std::vector<Flag>& flags, std::string prefix) {
  std::string out = std::move(prefix);
  for (const auto& f : flags) {
    if (f.bit && (v & f.bit) == f.bit) {
      if (!out.empty()) out += '|';
      out += f.name;
      v &= ~f.bit;
    }
  }
  if (v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    if (!out.empty()) out += '|';
    out += buf;
  }
  return out.empty() ? "0" : out;
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string quoted(std::string_view s, size_t max = 64) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = s[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (s.size() > max) out += "...";
  return out;
}

std::string argText(const Event& e, A type, uint64_t v) {
  switch (type) {
    case A::Int:
    case A::Fd:
      return std::to_string(static_cast<int64_t>(v));
    case A::AtFd:
      return static_cast<int>(v) == AT_FDCWD ? "AT_FDCWD" : std::to_string(static_cast<int>(v));
    case A::Size:
      return std::to_string(v);
    case A::Hex:
    case A::Ptr:
      return v ? hex(v) : "NULL";
    case A::Path:
      if (const Blob* b = e.find_blob(blob::kPath)) return quoted(b->text(), 4096);
      return hex(v);
    case A::Buf:
      if (const Blob* b = e.find_blob(blob::kData)) return quoted(b->text());
      return hex(v);
    case A::Open:
      return decodeFlags("open", v);
    case A::Mode: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0%llo", static_cast<unsigned long long>(v));
      return buf;
    }
    case A::Prot:
      return decodeFlags("prot", v);
    case A::Map:
      return decodeFlags("map", v);
    case A::Clone:
      return decodeFlags("clone", v);
    case A::Sig: {
      const char* abbrev = sigabbrev_np(static_cast<int>(v));
      return abbrev ? std::string("SIG") + abbrev : std::to_string(v);
    }
    case A::Futex:
      return decodeFlags("futex", v);
    case A::Whence:
      return v == SEEK_SET   ? "SEEK_SET"
             : v == SEEK_CUR ? "SEEK_CUR"
             : v == SEEK_END ? "SEEK_END"
                             : std::to_string(v);
  }
  return hex(v);
}

}  // namespace

std::string errnoText(int err) {
  const char* name = strerrorname_np(err);
  const char* desc = strerrordesc_np(err);
  if (!name) return "errno " + std::to_string(err);
  return std::string(name) + " (" + (desc ? desc : "") + ")";
}

std::string decodeFlags(const std::string& family, uint64_t v) {
  if (family == "open") {
    // The access mode is a 2-bit field, not a flag.
    const uint64_t acc = v & O_ACCMODE;
    std::string mode = acc == O_RDONLY   ? "O_RDONLY"
                       : acc == O_WRONLY ? "O_WRONLY"
                       : acc == O_RDWR   ? "O_RDWR"
                                         : "O_ACCMODE";
    return flagList(v & ~static_cast<uint64_t>(O_ACCMODE),
                    {{O_CREAT, "O_CREAT"},
                     {O_EXCL, "O_EXCL"},
                     {O_NOCTTY, "O_NOCTTY"},
                     {O_TRUNC, "O_TRUNC"},
                     {O_APPEND, "O_APPEND"},
                     {O_NONBLOCK, "O_NONBLOCK"},
                     {O_DSYNC, "O_DSYNC"},
                     {O_DIRECT, "O_DIRECT"},
                     {O_LARGEFILE, "O_LARGEFILE"},
                     {O_DIRECTORY, "O_DIRECTORY"},
                     {O_NOFOLLOW, "O_NOFOLLOW"},
                     {O_NOATIME, "O_NOATIME"},
                     {O_CLOEXEC, "O_CLOEXEC"},
                     {O_PATH, "O_PATH"},
                     {O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE"}},
                    mode);
  }
  if (family == "prot") {
    if (v == PROT_NONE) return "PROT_NONE";
    return flagList(v,
                    {{PROT_READ, "PROT_READ"},
                     {PROT_WRITE, "PROT_WRITE"},
                     {PROT_EXEC, "PROT_EXEC"},
                     {PROT_GROWSDOWN, "PROT_GROWSDOWN"}},
                    "");
  }
  if (family == "map") {
    const uint64_t type = v & 0x3;
    std::string t = type == MAP_SHARED    ? "MAP_SHARED"
                    : type == MAP_PRIVATE ? "MAP_PRIVATE"
                                          : hex(type);
    return flagList(v & ~uint64_t{0x3},
                    {{MAP_FIXED, "MAP_FIXED"},
                     {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
                     {MAP_GROWSDOWN, "MAP_GROWSDOWN"},
                     {MAP_DENYWRITE, "MAP_DENYWRITE"},
                     {MAP_EXECUTABLE, "MAP_EXECUTABLE"},
                     {MAP_LOCKED, "MAP_LOCKED"},
                     {MAP_NORESERVE, "MAP_NORESERVE"},
                     {MAP_POPULATE, "MAP_POPULATE"},
                     {MAP_NONBLOCK, "MAP_NONBLOCK"},
                     {MAP_STACK, "MAP_STACK"},
                     {MAP_HUGETLB, "MAP_HUGETLB"},
                     {MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"}},
                    t);
  }
  if (family == "clone") {
    // The low byte is the exit signal.
    const uint64_t sig = v & 0xff;
    std::string s;
    if (sig) {
      const char* a = sigabbrev_np(static_cast<int>(sig));
      s = a ? std::string("SIG") + a : std::to_string(sig);
    }
    return flagList(v & ~uint64_t{0xff},
                    {{CLONE_VM, "CLONE_VM"},
                     {CLONE_FS, "CLONE_FS"},
                     {CLONE_FILES, "CLONE_FILES"},
                     {CLONE_SIGHAND, "CLONE_SIGHAND"},
                     {CLONE_PIDFD, "CLONE_PIDFD"},
                     {CLONE_PTRACE, "CLONE_PTRACE"},
                     {CLONE_VFORK, "CLONE_VFORK"},
                     {CLONE_PARENT, "CLONE_PARENT"},
                     {CLONE_THREAD, "CLONE_THREAD"},
                     {CLONE_NEWNS, "CLONE_NEWNS"},
                     {CLONE_SYSVSEM, "CLONE_SYSVSEM"},
                     {CLONE_SETTLS, "CLONE_SETTLS"},
                     {CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"},
                     {CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"},
                     {CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"}},
                    s);
  }
  if (family == "futex") {
    static const char* kOps[] = {"FUTEX_WAIT",        "FUTEX_WAKE",        "FUTEX_FD",
                                 "FUTEX_REQUEUE",     "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",
                                 "FUTEX_LOCK_PI",     "FUTEX_UNLOCK_PI",   "FUTEX_TRYLOCK_PI",
                                 "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET"};
    const uint64_t op = v & FUTEX_CMD_MASK;
    std::string s = op < std::size(kOps) ? kOps[op] : std::to_string(op);
    return flagList(v & ~static_cast<uint64_t>(FUTEX_CMD_MASK),
                    {{FUTEX_PRIVATE_FLAG, "FUTEX_PRIVATE_FLAG"},
                     {FUTEX_CLOCK_REALTIME, "FUTEX_CLOCK_REALTIME"}},
                    s);
  }
  return hex(v);
}

DecodedCall decodeSyscall(const Event& e, const std::string& name) {
  DecodedCall d;
  d.name = name;
  auto it = signatures().find(name);
  bool returns_ptr = false;
  if (it != signatures().end()) {
    returns_ptr = it->second.returns_ptr;
    for (size_t i = 0; i < it->second.args.size() && i < 6; ++i)
      d.args.push_back(
          {it->second.args[i].first, argText(e, it->second.args[i].second, e.args[i])});
  } else {
    for (size_t i = 0; i < 6; ++i) d.args.push_back({"arg" + std::to_string(i), hex(e.args[i])});
  }
  if (e.kind == EventKind::Syscall && e.result < 0 && e.result >= -4095) {
    d.error = true;
    d.result = "-1 " + errnoText(static_cast<int>(-e.result));
  } else if (returns_ptr) {
    d.result = hex(static_cast<uint64_t>(e.result));
  } else {
    d.result = std::to_string(e.result);
  }
  return d;
}

std::string DecodedCall::oneLine() const {
  std::string s = name + "(";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) s += ", ";
    s += args[i].name + "=" + args[i].value;
  }
  return s + ") = " + result;
}

}  // namespace ckrr::gui
