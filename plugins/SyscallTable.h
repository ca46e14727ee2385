#pragma once
// Every x86-64 syscall, described once: the plugin that owns it, how replay treats it, whether
// it may wait for another recorded thread or process, the memory the kernel writes into the app
// and the fd it returns. PluginRegistry assigns owners from here, the seccomp allow-list comes
// from here, may_block() starts from here, and calls whose writes are described here are
// captured generically (SyscallEffects). A number not in the table (a gap, one newer than the
// table, a negative or x32 one) is recorded conservatively by the kernel plugin.
#include <cstdint>
#include <span>

namespace ckrr {

enum class SyscallAction : uint8_t {
  Emulate,            // E: replay skips it; result and memory come from the log
  Reexecute,          // R: replay runs it for real; the result must match the recording
  ReexecuteOverride,  // O: replay runs it for its effect on the process, then result+memory from
                      // the log
  Allow,              // A: deterministic given the process state: never stops (seccomp ALLOW)
  Refuse,  // N: never run; the app gets ENOSYS (recorded), as from a kernel built without it
};

enum class SyscallWaits : uint8_t {
  No,       // returns without waiting for another recorded thread or process
  Yes,      // may wait: with several threads it gets an `enter` event and the others run
  Depends,  // on its arguments and fds (may_block() decides)
};

struct SyscallSpec {
  int nr;
  const char* name;
  const char* plugin;  // the owner's Plugin::name()
  SyscallAction action;
  SyscallWaits waits;
  // Memory the kernel writes into the app on success:
  //   ""       nothing
  //   "code"   the owning plugin's code captures it (too irregular for this notation)
  //   "?"      not known exactly: changed bytes near each pointer argument, and near pointers
  //            found in the structs they point to, are captured (ConservativeCapture)
  //   items separated by ',': "aN:SIZE" is SIZE bytes at the address in argument N, where SIZE
  //            is a number, "ret" (the result), "ret+K", "ret*K", "aM" (argument M) or "aM*K"
  const char* writes;
  // The fd a successful call returns, for the fd table: "" none; else "KIND:label" with KIND
  // "file" or "other", then "/always" (close-on-exec always) or "/aN&MASK" (close-on-exec
  // when argument N has a bit of MASK).
  const char* fd;
};

// The whole table, in number order.
std::span<const SyscallSpec> syscall_table();
// nullptr when nr is not in the table.
const SyscallSpec* syscall_spec(long nr);
// One past the highest number in the table.
long syscall_table_end();

}  // namespace ckrr
