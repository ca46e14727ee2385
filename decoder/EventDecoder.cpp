#include "decoder/EventDecoder.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/stat.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "core/SyscallNames.h"
#include "decoder/ConstantNames.h"
#include "decoder/Quote.h"
#include "decoder/SyscallSignatures.h"

namespace ckrr {

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%#" PRIx64, v);
  return v ? b : "0";
}

std::string ptr(uint64_t v) {
  return v ? hex(v) : "NULL";
}

bool is_error(int64_t r) {
  return r < 0 && r >= -4095;
}

// The bytes the kernel wrote at `addr` during the event, if they were captured from there.
const MemWrite* written_at(const Event& e, uint64_t addr) {
  for (const auto& w : e.writes)
    if (w.addr == addr && !w.bytes.empty()) return &w;
  return nullptr;
}

template <typename S>
bool struct_at(const Event& e, uint64_t addr, S* out) {
  const MemWrite* w = written_at(e, addr);
  if (!w || w->bytes.size() < sizeof(S)) return false;
  std::memcpy(out, w->bytes.data(), sizeof(S));
  return true;
}

std::string mode_text(uint64_t m) {
  char b[16];
  std::snprintf(b, sizeof b, "%#03llo", static_cast<unsigned long long>(m & 07777));
  return b;
}

std::string file_mode(uint32_t m) {
  const uint32_t type = m & S_IFMT;
  const char* t = type == S_IFREG    ? "S_IFREG"
                  : type == S_IFDIR  ? "S_IFDIR"
                  : type == S_IFCHR  ? "S_IFCHR"
                  : type == S_IFBLK  ? "S_IFBLK"
                  : type == S_IFIFO  ? "S_IFIFO"
                  : type == S_IFLNK  ? "S_IFLNK"
                  : type == S_IFSOCK ? "S_IFSOCK"
                                     : nullptr;
  std::string s = t ? t : hex(type);
  std::string bits;
  if (m & S_ISUID) bits += "S_ISUID|";
  if (m & S_ISGID) bits += "S_ISGID|";
  if (m & S_ISVTX) bits += "S_ISVTX|";
  return s + "|" + bits + mode_text(m & 0777);
}

std::string stat_text(const struct stat& st) {
  std::string s = "{st_mode=" + file_mode(st.st_mode);
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
    s += ", st_rdev=makedev(" + hex(major(st.st_rdev)) + ", " + hex(minor(st.st_rdev)) + ")";
  else
    s += ", st_size=" + std::to_string(st.st_size);
  return s + ", ...}";
}

std::string statx_text(const struct statx& st) {
  std::string s = "{stx_mask=" + hex(st.stx_mask) + ", stx_attributes=" + hex(st.stx_attributes) +
                  ", stx_mode=" + file_mode(st.stx_mode);
  return s + ", stx_size=" + std::to_string(st.stx_size) + ", ...}";
}

std::string sigset_text(const uint8_t* p, size_t n) {
  uint64_t set = 0;
  std::memcpy(&set, p, n < 8 ? n : 8);
  std::string names;
  int count = 0;
  for (int sig = 1; sig <= 64; ++sig) {
    if (!(set & (uint64_t{1} << (sig - 1)))) continue;
    std::string nm = signal_name(sig);
    if (nm.rfind("SIG", 0) == 0) nm = nm.substr(3);
    names += (count++ ? " " : "") + nm;
  }
  return "[" + names + "]";
}

std::string poll_text(const Event& e, uint64_t addr, uint64_t nfds) {
  const MemWrite* w = written_at(e, addr);
  if (!w) return ptr(addr);
  std::string s = "[";
  const size_t n = std::min<size_t>(nfds, w->bytes.size() / sizeof(pollfd));
  for (size_t i = 0; i < n; ++i) {
    pollfd p;
    std::memcpy(&p, w->bytes.data() + i * sizeof p, sizeof p);
    if (i) s += ", ";
    s += "{fd=" + std::to_string(p.fd) + ", revents=" + hex(static_cast<uint16_t>(p.revents)) + "}";
  }
  return s + "]";
}

std::string dirents_text(const Event& e, uint64_t addr) {
  if (e.result == 0) return ptr(addr) + " /* 0 entries */";
  const MemWrite* w = written_at(e, addr);
  if (!w || is_error(e.result)) return ptr(addr);
  size_t count = 0;
  for (size_t off = 0; off + 19 <= w->bytes.size() && off < static_cast<uint64_t>(e.result);) {
    uint16_t reclen;
    std::memcpy(&reclen, w->bytes.data() + off + 16, 2);
    if (!reclen) break;
    off += reclen;
    ++count;
  }
  return ptr(addr) + " /* " + std::to_string(count) + " entries */";
}

std::string utsname_text(const struct utsname& u) {
  return std::string("{sysname=") + quote_string(u.sysname, 64) +
         ", nodename=" + quote_string(u.nodename, 64) + ", ...}";
}

std::string sockaddr_text(const MemWrite& w) {
  const auto& b = w.bytes;
  if (b.size() < 2) return "{}";
  sa_family_t family;
  std::memcpy(&family, b.data(), sizeof family);
  if (family == AF_INET && b.size() >= sizeof(sockaddr_in)) {
    sockaddr_in a;
    std::memcpy(&a, b.data(), sizeof a);
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    return "{sa_family=AF_INET, sin_port=htons(" + std::to_string(ntohs(a.sin_port)) +
           "), sin_addr=inet_addr(\"" + ip + "\")}";
  }
  if (family == AF_INET6 && b.size() >= sizeof(sockaddr_in6)) {
    sockaddr_in6 a;
    std::memcpy(&a, b.data(), sizeof a);
    char ip[INET6_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof ip);
    return "{sa_family=AF_INET6, sin6_port=htons(" + std::to_string(ntohs(a.sin6_port)) +
           "), sin6_flowinfo=htonl(" + std::to_string(ntohl(a.sin6_flowinfo)) +
           "), inet_pton(AF_INET6, \"" + ip +
           "\", &sin6_addr), sin6_scope_id=" + std::to_string(a.sin6_scope_id) + "}";
  }
  if (family == AF_UNIX) {
    std::string_view path(reinterpret_cast<const char*>(b.data()) + 2, b.size() - 2);
    if (path.empty() || path[0] == '\0') {
      const size_t n = path.find_first_not_of('\0');
      if (path.empty() || n == std::string_view::npos) return "{sa_family=AF_UNIX}";
      // An abstract name: strace shows it with a leading @.
      return "{sa_family=AF_UNIX, sun_path=@" + quote_string(path.substr(1), 108) + "}";
    }
    return "{sa_family=AF_UNIX, sun_path=" + quote_string(path, 108) + "}";
  }
  return "{sa_family=" + constant_text(ConstantFamily::Domain, family) + ", ...}";
}

// The kernel's struct sigaction on x86-64: handler, flags, restorer, mask.
std::string sigaction_text(const MemWrite& w) {
  struct {
    uint64_t handler, flags, restorer, mask;
  } k;
  if (w.bytes.size() < sizeof k) return "?";
  std::memcpy(&k, w.bytes.data(), sizeof k);
  const std::string handler = k.handler == 0   ? "SIG_DFL"
                              : k.handler == 1 ? "SIG_IGN"
                                               : hex(k.handler);
  std::string flags;
  const std::pair<uint64_t, const char*> kFlags[] = {
      {SA_NOCLDSTOP, "SA_NOCLDSTOP"}, {SA_NOCLDWAIT, "SA_NOCLDWAIT"}, {SA_SIGINFO, "SA_SIGINFO"},
      {0x04000000, "SA_RESTORER"},    {SA_ONSTACK, "SA_ONSTACK"},     {SA_RESTART, "SA_RESTART"},
      {SA_NODEFER, "SA_NODEFER"},     {SA_RESETHAND, "SA_RESETHAND"}};
  uint64_t rest = k.flags;
  for (const auto& [bit, name] : kFlags)
    if (rest & bit) {
      flags += (flags.empty() ? "" : "|") + std::string(name);
      rest &= ~bit;
    }
  if (rest) flags += (flags.empty() ? "" : "|") + hex(rest);
  std::string s = "{sa_handler=" + handler +
                  ", sa_mask=" + sigset_text(reinterpret_cast<const uint8_t*>(&k.mask), 8) +
                  ", sa_flags=" + (flags.empty() ? "0" : flags);
  if (k.flags & 0x04000000) s += ", sa_restorer=" + hex(k.restorer);
  return s + "}";
}

// Arguments a call names at entry; output arguments are shown after the call returns.
bool is_output(ArgType t) {
  switch (t) {
    case ArgType::OutBuf:
    case ArgType::OutText:
    case ArgType::StatOut:
    case ArgType::StatxOut:
    case ArgType::TimespecOut:
    case ArgType::TimevalOut:
    case ArgType::FdPairOut:
    case ArgType::WaitStatus:
    case ArgType::Dirents:
    case ArgType::Utsname:
    case ArgType::RlimitOut:
    case ArgType::SigsetOut:
    case ArgType::RandomOut:
    case ArgType::SockaddrOut:
    case ArgType::SigactionOut:
      return true;
    default:
      return false;
  }
}

// How many arguments the call really has, where it depends on another argument.
size_t visible_args(std::string_view name, const Event& e, size_t n) {
  if (name == "open" || name == "openat") {
    const uint64_t flags = name == "open" ? e.args[1] : e.args[2];
    const bool mode = (flags & O_CREAT) || (flags & O_TMPFILE) == static_cast<uint64_t>(O_TMPFILE);
    return mode ? n : n - 1;
  }
  if (name == "fcntl") {
    switch (static_cast<int>(e.args[1])) {
      case F_GETFD:
      case F_GETFL:
      case F_GETOWN:
      case F_GETSIG:
      case F_GETLEASE:
      case F_GETPIPE_SZ:
      case F_GET_SEALS:
        return 2;
      default:
        return 3;
    }
  }
  if (name == "futex") {
    switch (static_cast<int>(e.args[1] & FUTEX_CMD_MASK)) {
      case FUTEX_WAKE:
        return 3;
      case FUTEX_WAIT:
        return 4;
      default:
        return 6;
    }
  }
  return n;
}

}  // namespace

std::string DecodedEvent::named_text() const {
  if (!call) return text;
  std::string s = name + "(";
  for (size_t i = 0; i < args.size(); ++i)
    s += (i ? ", " : "") + args[i].name + "=" + args[i].value;
  return s + ")" + (result.empty() ? "" : " = " + result);
}

std::string EventDecoder::fd_text(int32_t tid, int64_t fd) const {
  std::string s = std::to_string(static_cast<int32_t>(fd));
  if (!options_.fd_names) return s;
  auto it = fds_.find({process(tid), static_cast<int32_t>(fd)});
  if (it != fds_.end()) s += "<" + it->second.name + ">";
  return s;
}

DecodedEvent EventDecoder::decode(const Event& e) const {
  DecodedEvent d;
  d.name = e.name();
  const size_t lim = options_.string_limit;
  switch (e.kind) {
    case EventKind::Signal: {
      std::string s = "--- " + signal_name(e.nr);
      siginfo_t si;
      if (const Blob* b = e.find_blob(blob::kSigInfo); b && b->data.size() >= sizeof si) {
        std::memcpy(&si, b->data.data(), sizeof si);
        s += " {si_signo=" + signal_name(si.si_signo) + ", si_code=" + std::to_string(si.si_code);
        if (si.si_code == SI_USER || si.si_code == SI_TKILL || si.si_code == SI_QUEUE ||
            si.si_signo == SIGCHLD)
          s += ", si_pid=" + std::to_string(si.si_pid) + ", si_uid=" + std::to_string(si.si_uid);
        if (si.si_signo == SIGCHLD) s += ", si_status=" + std::to_string(si.si_status);
        if (e.args[0]) s += ", si_addr=" + ptr(reinterpret_cast<uint64_t>(si.si_addr));
        s += "}";
      } else if (e.args[0]) {
        s += " {si_addr=" + ptr(e.args[1]) + "}";
      }
      d.text = s + " ---";
      return d;
    }
    case EventKind::Exit: {
      const int st = static_cast<int>(e.result);
      if (WIFSIGNALED(st))
        d.text = "+++ killed by " + signal_name(WTERMSIG(st)) +
                 (WCOREDUMP(st) ? " (core dumped)" : "") + " +++";
      else
        d.text = "+++ exited with " + std::to_string(WEXITSTATUS(st)) + " +++";
      return d;
    }
    case EventKind::Rdtsc:
      d.name = e.nr == 3 ? "rdtscp" : "rdtsc";
      d.call = true;
      d.result = hex(static_cast<uint64_t>(e.result));
      d.text = d.name + "() = " + d.result + "  /* at " + hex(e.args[0]) + " */";
      return d;
    case EventKind::Preempt:
      if (static_cast<PointKind>(e.args[2]) == PointKind::Counted)
        d.text =
            "--- preempted at " + hex(e.args[0]) + " (hit " + std::to_string(e.args[3]) + ") ---";
      else
        d.text = "--- preempted at " + hex(e.args[0]) + " ---";
      return d;
    case EventKind::Exec: {
      const Blob* path = e.find_blob(blob::kPath);
      d.call = true;
      d.args.push_back({"pathname", path ? quote_string(path->text(), 4096) : "?"});
      d.result = std::to_string(e.result);
      d.text = d.name + "(" + d.args[0].value + ") = " + d.result;
      return d;
    }
    case EventKind::Syscall:
    case EventKind::Enter:
      break;
  }

  // A syscall (or the entry of one that may block).
  d.call = true;
  const bool entry_only = e.kind == EventKind::Enter;
  const SyscallSignature* sig = syscall_signature(d.name);
  const int64_t r = e.result;
  const bool failed = !entry_only && is_error(r);
  size_t n = sig ? visible_args(d.name, e, sig->args.size()) : 6;
  for (size_t i = 0; i < n && i < 6; ++i) {
    const uint64_t v = e.args[i];
    if (!sig) {
      d.args.push_back({"arg" + std::to_string(i), hex(v)});
      continue;
    }
    const ArgSpec& a = sig->args[i];
    std::string val;
    if (entry_only && is_output(a.type)) {
      val = ptr(v);
    } else {
      switch (a.type) {
        case ArgType::Int:
          val = std::to_string(static_cast<int32_t>(v));
          break;
        case ArgType::Offset:
          val = std::to_string(static_cast<int64_t>(v));
          break;
        case ArgType::UInt:
          val = std::to_string(v);
          break;
        case ArgType::Hex:
          val = hex(v);
          break;
        case ArgType::Ptr:
          val = ptr(v);
          break;
        case ArgType::Fd:
          val = fd_text(e.tid, static_cast<int32_t>(v));
          break;
        case ArgType::AtFd:
          val = static_cast<int32_t>(v) == AT_FDCWD ? "AT_FDCWD"
                                                    : fd_text(e.tid, static_cast<int32_t>(v));
          break;
        case ArgType::Path:
        case ArgType::Path2: {
          const Blob* b = e.find_blob(a.type == ArgType::Path ? blob::kPath : blob::kPath2);
          val = b ? quote_string(b->text(), 4096) : ptr(v);
          break;
        }
        case ArgType::OutBuf: {
          const MemWrite* w = written_at(e, v);
          if (!failed && r == 0) {
            val = "\"\"";
          } else if (failed || !w) {
            val = ptr(v);
          } else {
            const size_t got = std::min<size_t>(w->bytes.size(), static_cast<uint64_t>(r));
            val = quote_bytes({reinterpret_cast<const char*>(w->bytes.data()), got}, lim);
          }
          break;
        }
        case ArgType::RandomOut: {
          const MemWrite* w = written_at(e, v);
          if (failed || !w) {
            val = ptr(v);
          } else {
            const size_t got = std::min<size_t>(w->bytes.size(), static_cast<uint64_t>(r));
            val = quote_hex({reinterpret_cast<const char*>(w->bytes.data()), got}, lim);
          }
          break;
        }
        case ArgType::InBuf: {
          const Blob* b = e.find_blob(blob::kData);
          val = b ? quote_bytes(b->text(), lim) : ptr(v);
          // The data kept is the part written; strace shows what the app passed.
          if (b && b->data.size() < e.args[2] && b->data.size() <= lim) val += "...";
          break;
        }
        case ArgType::OutText: {
          const MemWrite* w = written_at(e, v);
          if (failed || !w) {
            val = ptr(v);
          } else {
            const size_t got = std::min<size_t>(w->bytes.size(), static_cast<uint64_t>(r));
            std::string_view t(reinterpret_cast<const char*>(w->bytes.data()), got);
            val = d.name == "getcwd" ? quote_string(t, 4096) : quote_bytes(t, 4096);
          }
          break;
        }
        case ArgType::Mode:
          val = mode_text(v);
          break;
        case ArgType::Const:
          val = constant_text(a.family, v);
          break;
        case ArgType::StatOut: {
          struct stat st;
          val = !failed && struct_at(e, v, &st) ? stat_text(st) : ptr(v);
          break;
        }
        case ArgType::StatxOut: {
          struct statx st;
          val = !failed && struct_at(e, v, &st) ? statx_text(st) : ptr(v);
          break;
        }
        case ArgType::TimespecOut: {
          timespec ts;
          val = !failed && struct_at(e, v, &ts)
                    ? "{tv_sec=" + std::to_string(ts.tv_sec) +
                          ", tv_nsec=" + std::to_string(ts.tv_nsec) + "}"
                    : ptr(v);
          break;
        }
        case ArgType::TimevalOut: {
          timeval tv;
          val = !failed && struct_at(e, v, &tv)
                    ? "{tv_sec=" + std::to_string(tv.tv_sec) +
                          ", tv_usec=" + std::to_string(tv.tv_usec) + "}"
                    : ptr(v);
          break;
        }
        case ArgType::FdPairOut: {
          int fds[2];
          val = !failed && struct_at(e, v, &fds)
                    ? "[" + std::to_string(fds[0]) + ", " + std::to_string(fds[1]) + "]"
                    : ptr(v);
          break;
        }
        case ArgType::PollFds:
          val = poll_text(e, v, e.args[1]);
          break;
        case ArgType::WaitStatus: {
          int st;
          val = !failed && r > 0 && struct_at(e, v, &st) ? wait_status_text(st) : ptr(v);
          break;
        }
        case ArgType::Dirents:
          val = dirents_text(e, v);
          break;
        case ArgType::Utsname: {
          struct utsname u;
          val = !failed && struct_at(e, v, &u) ? utsname_text(u) : ptr(v);
          break;
        }
        case ArgType::RlimitOut: {
          rlimit rl;
          auto lim_text = [](rlim_t x) {
            return x == RLIM_INFINITY ? std::string("RLIM64_INFINITY") : std::to_string(x);
          };
          val = !failed && struct_at(e, v, &rl) ? "{rlim_cur=" + lim_text(rl.rlim_cur) +
                                                      ", rlim_max=" + lim_text(rl.rlim_max) + "}"
                                                : ptr(v);
          break;
        }
        case ArgType::SockaddrOut: {
          const MemWrite* w = written_at(e, v);
          val = !failed && w ? sockaddr_text(*w) : ptr(v);
          break;
        }
        case ArgType::SigactionOut: {
          const MemWrite* w = written_at(e, v);
          val = !failed && w ? sigaction_text(*w) : ptr(v);
          break;
        }
        case ArgType::SigsetOut: {
          const MemWrite* w = written_at(e, v);
          val = !failed && w ? sigset_text(w->bytes.data(), w->bytes.size()) : ptr(v);
          break;
        }
      }
    }
    // fcntl's third argument reads by command.
    if (d.name == "fcntl" && i == 2) {
      const int cmd = static_cast<int>(e.args[1]);
      if (cmd == F_SETFL) val = constant_text(ConstantFamily::Open, v);
      if (cmd == F_SETFD) val = v == FD_CLOEXEC ? "FD_CLOEXEC" : std::to_string(v);
      if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) val = std::to_string(static_cast<int32_t>(v));
    }
    d.args.push_back({a.name, std::move(val)});
  }

  std::string args_text;
  for (size_t i = 0; i < d.args.size(); ++i) args_text += (i ? ", " : "") + d.args[i].value;
  if (entry_only) {
    d.text = d.name + "(" + args_text + (args_text.empty() ? "" : ", ") + "<unfinished ...>";
    return d;
  }
  const ResultStyle style = sig ? sig->result : ResultStyle::Decimal;
  if (failed) {
    d.error = true;
    d.errno_name = errno_name(static_cast<int>(-r));
    const int err = static_cast<int>(-r);
    d.result = (err >= 512 && err <= 516 ? "? " : "-1 ") + errno_text(err);
  } else if (style == ResultStyle::None) {
    d.result = "?";
  } else if (style == ResultStyle::Octal) {
    d.result = mode_text(static_cast<uint64_t>(r));
  } else if (style == ResultStyle::Hex) {
    d.result = hex(static_cast<uint64_t>(r));
  } else {
    d.result = std::to_string(r);
    if (d.name == "fcntl" && static_cast<int>(e.args[1]) == F_GETFL)
      d.result = hex(static_cast<uint64_t>(r)) + " (flags " +
                 constant_text(ConstantFamily::Open, static_cast<uint64_t>(r)) + ")";
    if (d.name == "fcntl" && static_cast<int>(e.args[1]) == F_GETFD && r == FD_CLOEXEC)
      d.result = "0x1 (flags FD_CLOEXEC)";
  }
  d.text = d.name + "(" + args_text + ") = " + d.result;
  return d;
}

bool EventDecoder::changes_fds(EventKind k, const std::string& name) {
  if (k == EventKind::Exec || k == EventKind::Exit) return true;
  if (k != EventKind::Syscall) return false;
  static const char* kNames[] = {"open",    "openat",     "creat", "close",  "dup",    "dup2",
                                 "dup3",    "fcntl",      "pipe",  "pipe2",  "socket", "accept",
                                 "accept4", "socketpair", "clone", "clone3", "fork",   "vfork"};
  for (const char* n : kNames)
    if (name == n) return true;
  return false;
}

void EventDecoder::observe(const Event& e) {
  const int32_t proc = process(e.tid);
  if (e.kind == EventKind::Exit) {
    // The last thread's exit ends the fd table; a thread's own exit event carries its tid.
    if (proc == e.tid)
      fds_.erase(fds_.lower_bound({proc, INT32_MIN}), fds_.lower_bound({proc + 1, INT32_MIN}));
    return;
  }
  if (e.kind == EventKind::Exec) {
    for (auto it = fds_.lower_bound({proc, INT32_MIN});
         it != fds_.end() && it->first.first == proc;)
      it = it->second.cloexec ? fds_.erase(it) : std::next(it);
    return;
  }
  if (e.kind != EventKind::Syscall || is_error(e.result)) return;
  const std::string name = e.name();
  const int64_t r = e.result;
  auto set = [&](int32_t fd, std::string n, bool cloexec) {
    fds_[{proc, fd}] = {std::move(n), cloexec};
  };
  auto get = [&](int32_t fd) -> const FdName* {
    auto it = fds_.find({proc, fd});
    return it == fds_.end() ? nullptr : &it->second;
  };
  if (name == "open" || name == "openat" || name == "creat") {
    const Blob* b = e.find_blob(blob::kPath);
    const uint64_t flags = name == "open" ? e.args[1] : name == "openat" ? e.args[2] : 0;
    if (b) set(static_cast<int32_t>(r), std::string(b->text()), flags & O_CLOEXEC);
  } else if (name == "close") {
    fds_.erase({proc, static_cast<int32_t>(e.args[0])});
  } else if (name == "dup" || name == "dup2" || name == "dup3" ||
             (name == "fcntl" && (e.args[1] == F_DUPFD || e.args[1] == F_DUPFD_CLOEXEC))) {
    const bool cloexec = (name == "dup3" && (e.args[2] & O_CLOEXEC)) ||
                         (name == "fcntl" && e.args[1] == F_DUPFD_CLOEXEC);
    if (const FdName* from = get(static_cast<int32_t>(e.args[0])))
      set(static_cast<int32_t>(r), from->name, cloexec);
    else
      fds_.erase({proc, static_cast<int32_t>(r)});
  } else if (name == "fcntl" && e.args[1] == F_SETFD) {
    if (auto it = fds_.find({proc, static_cast<int32_t>(e.args[0])}); it != fds_.end())
      it->second.cloexec = e.args[2] & FD_CLOEXEC;
  } else if (name == "pipe" || name == "pipe2" || name == "socketpair") {
    int fds[2];
    const uint64_t at = name == "socketpair" ? e.args[3] : e.args[0];
    const bool cloexec = name == "pipe2" ? (e.args[1] & O_CLOEXEC)
                                         : name == "socketpair" && (e.args[1] & SOCK_CLOEXEC);
    if (struct_at(e, at, &fds)) {
      const char* kind = name == "socketpair" ? "socket" : "pipe";
      set(fds[0], kind, cloexec);
      set(fds[1], kind, cloexec);
    }
  } else if (name == "socket" || name == "accept" || name == "accept4") {
    set(static_cast<int32_t>(r), "socket", false);
  } else if (name == "clone" || name == "clone3" || name == "fork" || name == "vfork") {
    const bool thread = name == "clone" && (e.args[0] & CLONE_THREAD);
    if (thread || r <= 0) return;
    int32_t child = static_cast<int32_t>(r);
    if (const Blob* b = e.find_blob(blob::kNewTid); b && b->data.size() >= 4)
      std::memcpy(&child, b->data.data(), 4);
    const int32_t child_proc = process(child);
    std::vector<std::pair<int32_t, FdName>> copy;
    for (auto it = fds_.lower_bound({proc, INT32_MIN}); it != fds_.end() && it->first.first == proc;
         ++it)
      copy.emplace_back(it->first.second, it->second);
    for (auto& [fd, n] : copy) fds_[{child_proc, fd}] = n;
  }
}

DecodedEvent EventDecoder::next(const Event& e) {
  DecodedEvent d = decode(e);
  observe(e);
  return d;
}

std::string describe_event(const Event& e) {
  static const EventDecoder decoder(DecodeOptions{32, false});
  return decoder.decode(e).text;
}

}  // namespace ckrr
