#pragma once
// How each syscall's arguments read, for display only (the replay policy of each syscall is in
// plugins/SyscallTable; this table is about text). A call not listed shows six hex arguments.
#include <cstdint>
#include <string_view>
#include <vector>

#include "decoder/ConstantNames.h"

namespace ckrr {

enum class ArgType : uint8_t {
  Int,       // signed decimal (an int)
  Offset,    // signed decimal, 64-bit (file offsets and lengths)
  UInt,      // unsigned decimal (sizes, counts)
  Hex,       // 0x..., 0 as 0
  Ptr,       // NULL or 0x...
  Fd,        // a file descriptor (with its name when known)
  AtFd,      // AT_FDCWD or an fd
  Path,      // the path the call named (recorded with the event), else the pointer
  Path2,     // the other path of a two-path call (rename's new path, symlink's target)
  OutBuf,    // bytes the kernel wrote there, as many as the result says (read, recv)
  InBuf,     // bytes the app wrote out (write, send), as recorded
  OutText,   // text the kernel wrote (getcwd, readlink)
  Mode,      // octal permission bits
  Const,     // a named constant or flag set (the family says which)
  StatOut,   // struct stat written by the call
  StatxOut,  // struct statx written by the call
  TimespecOut,
  TimevalOut,
  FdPairOut,     // int[2] written (pipe, socketpair)
  PollFds,       // struct pollfd[nfds]; revents as written
  WaitStatus,    // int status written (wait4)
  Dirents,       // a getdents64 buffer: "0x... /* N entries */"
  Utsname,       // struct utsname written
  RlimitOut,     // struct rlimit written (prlimit64's old limit)
  SigsetOut,     // a signal set written (rt_sigprocmask's old set)
  RandomOut,     // bytes written, shown as \x.. (getrandom)
  SockaddrOut,   // a socket address the call wrote (accept, getsockname, recvfrom)
  SigactionOut,  // the old action rt_sigaction wrote
};

struct ArgSpec {
  const char* name;
  ArgType type;
  ConstantFamily family = ConstantFamily::Open;  // for Const
};

enum class ResultStyle : uint8_t { Decimal, Hex, Octal, None };

struct SyscallSignature {
  std::vector<ArgSpec> args;
  ResultStyle result = ResultStyle::Decimal;
};

// The signature of the named syscall, or nullptr when it is not described.
const SyscallSignature* syscall_signature(std::string_view name);

}  // namespace ckrr
