#include "decoder/ConstantNames.h"

#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

namespace ckrr {

namespace {

struct Name {
  uint64_t value;
  const char* name;
};

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(v));
  return v ? b : "0";
}

// Flags set in v, in table order, then what is left in hex; `head` (a field already named,
// such as the access mode) comes first. "0" when nothing is set and there is no head.
std::string flag_list(uint64_t v, const std::vector<Name>& flags, std::string head = "") {
  std::string out = std::move(head);
  for (const auto& f : flags) {
    if (f.value && (v & f.value) == f.value) {
      if (!out.empty()) out += '|';
      out += f.name;
      v &= ~f.value;
    }
  }
  if (v) {
    if (!out.empty()) out += '|';
    out += hex(v);
  }
  return out.empty() ? "0" : out;
}

// One value out of a list, or the number (decimal, or hex when `hex_unknown`).
std::string one_of(uint64_t v, const std::vector<Name>& names, bool hex_unknown = false) {
  for (const auto& n : names)
    if (n.value == v) return n.name;
  return hex_unknown ? hex(v) : std::to_string(static_cast<int64_t>(v));
}

#define N(x) \
  { static_cast<uint64_t>(x), #x }

const std::vector<Name> kOpenFlags = {N(O_CREAT),
                                      N(O_EXCL),
                                      N(O_NOCTTY),
                                      N(O_TRUNC),
                                      N(O_APPEND),
                                      N(O_NONBLOCK),
                                      N(O_DSYNC),
                                      N(O_DIRECT),
                                      {0100000, "O_LARGEFILE"},
                                      N(O_NOFOLLOW),
                                      N(O_NOATIME),
                                      N(O_CLOEXEC),
                                      N(O_PATH),
                                      N(O_SYNC & ~O_DSYNC),
                                      N(O_TMPFILE),
                                      N(O_DIRECTORY),
                                      N(O_ASYNC)};

std::string open_flags(uint64_t v) {
  const uint64_t acc = v & O_ACCMODE;
  std::string mode = acc == O_RDONLY   ? "O_RDONLY"
                     : acc == O_WRONLY ? "O_WRONLY"
                     : acc == O_RDWR   ? "O_RDWR"
                                       : "O_ACCMODE";
  uint64_t rest = v & ~static_cast<uint64_t>(O_ACCMODE);
  std::string out = mode;
  // O_TMPFILE includes O_DIRECTORY's bit: name it as one flag.
  if ((rest & O_TMPFILE) == static_cast<uint64_t>(O_TMPFILE)) {
    rest &= ~static_cast<uint64_t>(O_TMPFILE);
    out += "|O_TMPFILE";
  }
  std::string tail = flag_list(rest, kOpenFlags);
  // strace names O_SYNC as a whole (it includes O_DSYNC).
  return rest ? out + "|" + tail : out;
}

std::string futex_op(uint64_t v) {
  static const char* kOps[] = {"FUTEX_WAIT",           "FUTEX_WAKE",        "FUTEX_FD",
                               "FUTEX_REQUEUE",        "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",
                               "FUTEX_LOCK_PI",        "FUTEX_UNLOCK_PI",   "FUTEX_TRYLOCK_PI",
                               "FUTEX_WAIT_BITSET",    "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
                               "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2"};
  const uint64_t op = v & FUTEX_CMD_MASK;
  std::string s = op < std::size(kOps) ? kOps[op] : std::to_string(op);
  if (v & FUTEX_PRIVATE_FLAG) s += "_PRIVATE";
  if (v & FUTEX_CLOCK_REALTIME) s += "|FUTEX_CLOCK_REALTIME";
  const uint64_t rest =
      v & ~static_cast<uint64_t>(FUTEX_CMD_MASK | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (rest) s += "|" + hex(rest);
  return s;
}

std::string clone_flags(uint64_t v) {
  const uint64_t sig = v & 0xff;
  static const std::vector<Name> kClone = {N(CLONE_VM),
                                           N(CLONE_FS),
                                           N(CLONE_FILES),
                                           N(CLONE_SIGHAND),
                                           N(CLONE_PIDFD),
                                           N(CLONE_PTRACE),
                                           N(CLONE_VFORK),
                                           N(CLONE_PARENT),
                                           N(CLONE_THREAD),
                                           N(CLONE_NEWNS),
                                           N(CLONE_SYSVSEM),
                                           N(CLONE_SETTLS),
                                           N(CLONE_PARENT_SETTID),
                                           N(CLONE_CHILD_CLEARTID),
                                           N(CLONE_DETACHED),
                                           N(CLONE_UNTRACED),
                                           N(CLONE_CHILD_SETTID),
                                           N(CLONE_NEWCGROUP),
                                           N(CLONE_NEWUTS),
                                           N(CLONE_NEWIPC),
                                           N(CLONE_NEWUSER),
                                           N(CLONE_NEWPID),
                                           N(CLONE_NEWNET),
                                           N(CLONE_IO)};
  std::string out = flag_list(v & ~uint64_t{0xff}, kClone);
  if (out == "0") out.clear();
  if (sig) {
    if (!out.empty()) out += '|';
    out += signal_name(static_cast<int>(sig));
  }
  return out.empty() ? "0" : out;
}

std::string ioctl_request(uint64_t v) {
  static const std::vector<Name> kReq = {
      N(TCGETS),    N(TCSETS),    N(TCSETSW),  N(TCSETSF),    N(TCGETA),     N(TCSETA),
      N(TCSBRK),    N(TCXONC),    N(TCFLSH),   N(TIOCEXCL),   N(TIOCNXCL),   N(TIOCSCTTY),
      N(TIOCGPGRP), N(TIOCSPGRP), N(TIOCOUTQ), N(TIOCSTI),    N(TIOCGWINSZ), N(TIOCSWINSZ),
      N(TIOCMGET),  N(TIOCMSET),  N(FIONREAD), N(TIOCLINUX),  N(TIOCCONS),   N(FIONBIO),
      N(TIOCNOTTY), N(TIOCSETD),  N(TIOCGETD), N(TIOCGPTN),   N(TIOCSPTLCK), N(TIOCGSID),
      N(FIONCLEX),  N(FIOCLEX),   N(FIOASYNC), N(TIOCGPTPEER)};
  return one_of(v, kReq, true);
}

std::string wait_options(uint64_t v) {
  return flag_list(v, {N(WNOHANG), N(WUNTRACED), N(WCONTINUED), N(WEXITED), N(WSTOPPED), N(WNOWAIT),
                       N(__WNOTHREAD), N(__WALL), N(__WCLONE)});
}

}  // namespace

std::string signal_name(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX && sig != SIGRTMIN)
    return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
  if (sig == SIGRTMIN) return "SIGRTMIN";
  const char* a = sig > 0 && sig < 32 ? sigabbrev_np(sig) : nullptr;
  return a ? std::string("SIG") + a : std::to_string(sig);
}

std::string errno_name(int err) {
  switch (err) {
    case 512:
      return "ERESTARTSYS";
    case 513:
      return "ERESTARTNOINTR";
    case 514:
      return "ERESTARTNOHAND";
    case 515:
      return "ENOIOCTLCMD";
    case 516:
      return "ERESTART_RESTARTBLOCK";
    default:
      break;
  }
  const char* n = strerrorname_np(err);
  return n ? n : "errno " + std::to_string(err);
}

std::string errno_text(int err) {
  switch (err) {
    case 512:
      return "ERESTARTSYS (To be restarted if SA_RESTART is set)";
    case 513:
      return "ERESTARTNOINTR (To be restarted)";
    case 514:
      return "ERESTARTNOHAND (To be restarted if no handler)";
    case 516:
      return "ERESTART_RESTARTBLOCK (Interrupted by signal)";
    default:
      break;
  }
  const char* n = strerrorname_np(err);
  const char* d = strerrordesc_np(err);
  if (!n) return err == 515 ? "ENOIOCTLCMD" : "errno " + std::to_string(err);
  return std::string(n) + " (" + (d ? d : "") + ")";
}

std::string wait_status_text(int st) {
  if (WIFEXITED(st))
    return "[{WIFEXITED(s) && WEXITSTATUS(s) == " + std::to_string(WEXITSTATUS(st)) + "}]";
  if (WIFSIGNALED(st))
    return "[{WIFSIGNALED(s) && WTERMSIG(s) == " + signal_name(WTERMSIG(st)) +
           (WCOREDUMP(st) ? " && WCOREDUMP(s)" : "") + "}]";
  if (WIFSTOPPED(st))
    return "[{WIFSTOPPED(s) && WSTOPSIG(s) == " + signal_name(WSTOPSIG(st)) + "}]";
  if (WIFCONTINUED(st)) return "[{WIFCONTINUED(s)}]";
  return "[" + hex(static_cast<uint32_t>(st)) + "]";
}

std::string constant_text(ConstantFamily family, uint64_t v) {
  switch (family) {
    case ConstantFamily::Open:
      return open_flags(v);
    case ConstantFamily::Prot:
      if (v == PROT_NONE) return "PROT_NONE";
      return flag_list(v, {N(PROT_READ),
                           N(PROT_WRITE),
                           N(PROT_EXEC),
                           {0x8, "PROT_SEM"},
                           N(PROT_GROWSDOWN),
                           N(PROT_GROWSUP)});
    case ConstantFamily::Map: {
      const uint64_t type = v & 0xf;
      std::string t = type == MAP_SHARED            ? "MAP_SHARED"
                      : type == MAP_PRIVATE         ? "MAP_PRIVATE"
                      : type == MAP_SHARED_VALIDATE ? "MAP_SHARED_VALIDATE"
                                                    : hex(type);
      return flag_list(
          v & ~uint64_t{0xf},
          {N(MAP_FIXED), N(MAP_ANONYMOUS), N(MAP_32BIT), N(MAP_GROWSDOWN), N(MAP_DENYWRITE),
           N(MAP_EXECUTABLE), N(MAP_LOCKED), N(MAP_NORESERVE), N(MAP_POPULATE), N(MAP_NONBLOCK),
           N(MAP_STACK), N(MAP_HUGETLB), N(MAP_SYNC), N(MAP_FIXED_NOREPLACE)},
          t);
    }
    case ConstantFamily::Clone:
      return clone_flags(v);
    case ConstantFamily::Futex:
      return futex_op(v);
    case ConstantFamily::At:
      return flag_list(
          v, {N(AT_SYMLINK_NOFOLLOW), N(AT_REMOVEDIR), N(AT_SYMLINK_FOLLOW), N(AT_NO_AUTOMOUNT),
              N(AT_EMPTY_PATH), N(AT_STATX_FORCE_SYNC), N(AT_STATX_DONT_SYNC), N(AT_RECURSIVE)});
    case ConstantFamily::Access:
      if (v == F_OK) return "F_OK";
      return flag_list(v, {N(R_OK), N(W_OK), N(X_OK)});
    case ConstantFamily::Whence:
      return one_of(v, {N(SEEK_SET), N(SEEK_CUR), N(SEEK_END), N(SEEK_DATA), N(SEEK_HOLE)});
    case ConstantFamily::Clock:
      return one_of(v, {N(CLOCK_REALTIME), N(CLOCK_MONOTONIC), N(CLOCK_PROCESS_CPUTIME_ID),
                        N(CLOCK_THREAD_CPUTIME_ID), N(CLOCK_MONOTONIC_RAW),
                        N(CLOCK_REALTIME_COARSE), N(CLOCK_MONOTONIC_COARSE), N(CLOCK_BOOTTIME),
                        N(CLOCK_REALTIME_ALARM), N(CLOCK_BOOTTIME_ALARM), N(CLOCK_TAI)});
    case ConstantFamily::Madvise:
      return one_of(
          v, {N(MADV_NORMAL),         N(MADV_RANDOM),    N(MADV_SEQUENTIAL),  N(MADV_WILLNEED),
              N(MADV_DONTNEED),       N(MADV_FREE),      N(MADV_REMOVE),      N(MADV_DONTFORK),
              N(MADV_DOFORK),         N(MADV_MERGEABLE), N(MADV_UNMERGEABLE), N(MADV_HUGEPAGE),
              N(MADV_NOHUGEPAGE),     N(MADV_DONTDUMP),  N(MADV_DODUMP),      N(MADV_WIPEONFORK),
              N(MADV_KEEPONFORK),     N(MADV_COLD),      N(MADV_PAGEOUT),     N(MADV_POPULATE_READ),
              N(MADV_POPULATE_WRITE), N(MADV_HWPOISON)});
    case ConstantFamily::Domain:
      return one_of(v, {N(AF_UNSPEC), N(AF_UNIX), N(AF_INET), N(AF_INET6), N(AF_NETLINK),
                        N(AF_PACKET), N(AF_ALG), N(AF_VSOCK)});
    case ConstantFamily::SockType: {
      const uint64_t type = v & 0xf;
      std::string t = one_of(type, {N(SOCK_STREAM), N(SOCK_DGRAM), N(SOCK_RAW), N(SOCK_RDM),
                                    N(SOCK_SEQPACKET), N(SOCK_DCCP), N(SOCK_PACKET)});
      return flag_list(v & ~uint64_t{0xf}, {N(SOCK_NONBLOCK), N(SOCK_CLOEXEC)}, t);
    }
    case ConstantFamily::Fcntl:
      return one_of(
          v,
          {N(F_DUPFD),         N(F_GETFD),      N(F_SETFD),      N(F_GETFL),     N(F_SETFL),
           N(F_GETLK),         N(F_SETLK),      N(F_SETLKW),     N(F_SETOWN),    N(F_GETOWN),
           N(F_SETSIG),        N(F_GETSIG),     N(F_SETOWN_EX),  N(F_GETOWN_EX), N(F_OFD_GETLK),
           N(F_OFD_SETLK),     N(F_OFD_SETLKW), N(F_SETLEASE),   N(F_GETLEASE),  N(F_NOTIFY),
           N(F_DUPFD_CLOEXEC), N(F_SETPIPE_SZ), N(F_GETPIPE_SZ), N(F_ADD_SEALS), N(F_GET_SEALS)});
    case ConstantFamily::Ioctl:
      return ioctl_request(v);
    case ConstantFamily::SigHow:
      return one_of(v, {N(SIG_BLOCK), N(SIG_UNBLOCK), N(SIG_SETMASK)});
    case ConstantFamily::ArchPrctl:
      return one_of(v,
                    {N(ARCH_SET_GS), N(ARCH_SET_FS), N(ARCH_GET_FS), N(ARCH_GET_GS),
                     N(ARCH_GET_CPUID), N(ARCH_SET_CPUID)},
                    true);
    case ConstantFamily::Mremap:
      return flag_list(v, {N(MREMAP_MAYMOVE), N(MREMAP_FIXED), N(MREMAP_DONTUNMAP)});
    case ConstantFamily::EpollCtl:
      return one_of(v, {N(EPOLL_CTL_ADD), N(EPOLL_CTL_DEL), N(EPOLL_CTL_MOD)});
    case ConstantFamily::Random:
      return flag_list(v, {N(GRND_NONBLOCK), N(GRND_RANDOM), N(GRND_INSECURE)});
    case ConstantFamily::Resource:
      return one_of(v, {N(RLIMIT_CPU), N(RLIMIT_FSIZE), N(RLIMIT_DATA), N(RLIMIT_STACK),
                        N(RLIMIT_CORE), N(RLIMIT_RSS), N(RLIMIT_NPROC), N(RLIMIT_NOFILE),
                        N(RLIMIT_MEMLOCK), N(RLIMIT_AS), N(RLIMIT_LOCKS), N(RLIMIT_SIGPENDING),
                        N(RLIMIT_MSGQUEUE), N(RLIMIT_NICE), N(RLIMIT_RTPRIO), N(RLIMIT_RTTIME)});
    case ConstantFamily::MsgFlags:
      return flag_list(v, {N(MSG_OOB), N(MSG_PEEK), N(MSG_DONTROUTE), N(MSG_CTRUNC), N(MSG_TRUNC),
                           N(MSG_DONTWAIT), N(MSG_EOR), N(MSG_WAITALL), N(MSG_NOSIGNAL),
                           N(MSG_MORE), N(MSG_CMSG_CLOEXEC)});
    case ConstantFamily::FdFlags:
      return flag_list(v, {N(O_NONBLOCK), N(O_CLOEXEC), N(O_DIRECT)});
    case ConstantFamily::Prctl:
      return one_of(
          v, {N(PR_SET_PDEATHSIG), N(PR_GET_PDEATHSIG), N(PR_GET_DUMPABLE), N(PR_SET_DUMPABLE),
              N(PR_SET_NAME), N(PR_GET_NAME), N(PR_GET_SECCOMP), N(PR_SET_SECCOMP), N(PR_SET_TSC),
              N(PR_GET_TSC), N(PR_SET_NO_NEW_PRIVS), N(PR_GET_NO_NEW_PRIVS),
              N(PR_SET_CHILD_SUBREAPER), N(PR_GET_CHILD_SUBREAPER), N(PR_SET_PTRACER),
              N(PR_SET_VMA), N(PR_CAPBSET_READ), N(PR_SET_MM), N(PR_GET_TID_ADDRESS)});
    case ConstantFamily::Signal:
      return signal_name(static_cast<int>(v));
    case ConstantFamily::WaitOptions:
      return wait_options(v);
  }
  return hex(v);
}

std::optional<ConstantFamily> constant_family(std::string_view w) {
  static const std::pair<std::string_view, ConstantFamily> kWords[] = {
      {"open", ConstantFamily::Open},     {"prot", ConstantFamily::Prot},
      {"map", ConstantFamily::Map},       {"clone", ConstantFamily::Clone},
      {"futex", ConstantFamily::Futex},   {"at", ConstantFamily::At},
      {"access", ConstantFamily::Access}, {"whence", ConstantFamily::Whence},
      {"clock", ConstantFamily::Clock},   {"madvise", ConstantFamily::Madvise},
      {"domain", ConstantFamily::Domain}, {"socktype", ConstantFamily::SockType},
      {"fcntl", ConstantFamily::Fcntl},   {"ioctl", ConstantFamily::Ioctl},
      {"signal", ConstantFamily::Signal}, {"wait", ConstantFamily::WaitOptions}};
  for (const auto& [word, family] : kWords)
    if (word == w) return family;
  return std::nullopt;
}

}  // namespace ckrr
