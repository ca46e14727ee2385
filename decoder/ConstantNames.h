#pragma once
// Named constants and flag sets as strace prints them: O_RDONLY|O_CLOEXEC, PROT_READ|PROT_EXEC,
// AT_FDCWD, CLOCK_MONOTONIC, SIGSEGV, TCGETS, ENOENT (No such file or directory)...
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ckrr {

enum class ConstantFamily {
  Open,         // open/openat flags (access mode + O_*)
  Prot,         // PROT_*
  Map,          // MAP_*
  Clone,        // CLONE_* with the exit signal in the low byte
  Futex,        // FUTEX_* operation (+_PRIVATE, |FUTEX_CLOCK_REALTIME)
  At,           // AT_* flags (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW...)
  Access,       // F_OK or R_OK|W_OK|X_OK
  Whence,       // SEEK_*
  Clock,        // CLOCK_*
  Madvise,      // MADV_*
  Domain,       // AF_*
  SockType,     // SOCK_* | SOCK_NONBLOCK|SOCK_CLOEXEC
  Fcntl,        // F_* commands
  Ioctl,        // ioctl requests (tty, FIO*)
  SigHow,       // SIG_BLOCK...
  ArchPrctl,    // ARCH_*
  Mremap,       // MREMAP_*
  EpollCtl,     // EPOLL_CTL_*
  Random,       // GRND_*
  Resource,     // RLIMIT_*
  MsgFlags,     // MSG_*
  FdFlags,      // O_NONBLOCK|O_CLOEXEC style flags of pipe2, eventfd2, dup3...
  Prctl,        // PR_* options
  Signal,       // SIG* number
  WaitOptions,  // WNOHANG|WUNTRACED...
};

std::string constant_text(ConstantFamily family, uint64_t value);
// The family named by a short word ("open", "prot", "map", "clone", "futex"...), for callers
// that name families in text.
std::optional<ConstantFamily> constant_family(std::string_view word);

// "SIGSEGV", "SIGRTMIN+3", or the number when unknown.
std::string signal_name(int sig);
// "ENOENT"; kernel-internal restart codes (512..516) are named as strace names them.
std::string errno_name(int err);
// "ENOENT (No such file or directory)"; "errno 9999" when unknown.
std::string errno_text(int err);
// A wait status as strace shows it: [{WIFEXITED(s) && WEXITSTATUS(s) == 0}].
std::string wait_status_text(int status);

}  // namespace ckrr
