#pragma once
// A plugin owns one kind of nondeterminism (time, randomness, files, ids, memory maps, ...).
// The recorder and replayer are generic loops: at each trapped syscall they call the plugin
// that claimed its number; a plugin decides how the call is recorded (which memory the kernel
// filled) and how replay reproduces it (emulate from the log, or re-execute and check).
// Plugins are registered in one place, PluginRegistry.cpp; which calls each owns, and how they
// replay by default, is written in one table, SyscallTable.cpp.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugins/SyscallContext.h"
#include "storage/Event.h"

namespace ckrr {

// Thrown by a plugin for a call it cannot record faithfully (an unknown ioctl request...).
class Unsupported : public std::runtime_error {
 public:
  explicit Unsupported(const std::string& what) : std::runtime_error(what) {}
};

struct SyscallClaim {
  int nr;
  ReplayMode mode;  // default; record_entry may change it per call
  // Replace the built-in owner of nr (plugins loaded with --plugin only; see
  // include/ckrr/plugin.h). Without it, a number a built-in owns is refused.
  bool takeover = false;
};

// A process `ckrr restart` has restored (memory, threads, files reopened), stopped; calls can
// be made inside it (core/RemoteSyscall.h).
struct RestartContext {
  Task& task;
  pid_t real_pid = 0;           // the process now
  pid_t virtual_pid = 0;        // what the program saw when recorded
  std::map<pid_t, pid_t> tids;  // recorded tid -> real tid (empty: one thread, tid = pid)
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual const char* name() const = 0;
  // Syscalls this plugin records beyond those the syscall table (SyscallTable.cpp) gives it by
  // name (each number belongs to exactly one plugin). Built-in plugins claim none here.
  virtual std::vector<SyscallClaim> claims() const { return {}; }

  // Record, at syscall entry. May set ctx.event.mode, ctx.skip (do not run it; result =
  // ctx.forced_result), or throw Unsupported.
  virtual void record_entry(SyscallContext&) {}
  // Record, after the syscall ran: capture what the kernel wrote (ctx.capture) and blobs.
  virtual void record_exit(SyscallContext&) {}
  // Replay, before the generic action for event.mode. Setting ctx.handled skips it.
  virtual void replay_entry(SyscallContext&) {}
  // Replay, after the generic action (e.g. echo output, update the fd table).
  virtual void replay_exit(SyscallContext&) {}

  // A SIGSEGV/SIGILL the plugin may own (the time plugin emulates trapped rdtsc). Record:
  // return true if handled (ctx.event filled, task registers advanced).
  virtual bool record_fault(FaultContext&) { return false; }
  // Replay: the same fault; ctx.event is the next recorded event.
  virtual bool replay_fault(FaultContext&) { return false; }

  // After a successful exec (fresh address space).
  virtual void on_exec(ProcessState&) {}

  // Checkpoint hooks: the plugin's own state, saved with and restored from a checkpoint.
  virtual void save_state(std::vector<uint8_t>& out) const { out.clear(); }
  virtual void restore_state(const std::vector<uint8_t>&) {}
  // Recording: just before save_state for a checkpoint (every thread stopped), and once the
  // program runs on after it.
  virtual void pre_checkpoint() {}
  virtual void resume() {}
  // `ckrr restart`, after restore_state: re-create what the plugin owns inside the process.
  // Throws Error when it cannot (that checkpoint is then unusable).
  virtual void on_restart(RestartContext&) {}
};

}  // namespace ckrr
