#pragma once
// What the gdb stub needs from the thing it debugs. The stub (GdbSession/GdbServer) speaks the
// protocol; a DebugTarget answers in plain terms: threads, registers, memory, breakpoints, and
// "run until something happens" in either direction. The replay engine implements it on a
// replayed process; tests implement it on a live ptraced child or on fakes.
//
// Threading: every method is called from one thread (the one running GdbServer::serve), except
// interrupt(), which the socket reader thread calls while resume() runs.
#include <signal.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "replayer/gdb/X86Registers.h"

namespace ckrr::gdb {

// A kernel thread id, as the debugged program sees it (for ckrr: the recorded, virtual id).
using ThreadId = int;

struct ThreadInfo {
  ThreadId tid = 0;
  std::string name;  // comm; may be empty
};

enum class Direction { Forward, Backward };

struct ResumeRequest {
  Direction direction = Direction::Forward;
  bool step = false;  // one instruction of `thread`; otherwise run until a stop
  // The thread to step (or, for a continue, the thread gdb had selected). Never 0 or -1: the
  // stub resolves those to the current thread.
  ThreadId thread = 0;
  // Linux signal gdb asks to deliver to `thread` as it resumes (gdb passes on the signal the
  // program stopped with, e.g. SIGSEGV, unless told `signal 0`). 0 for none. A replay cannot
  // deliver a signal that was not recorded and should ignore it.
  int signal = 0;
  // Set by the stub when gdb sends Ctrl-C. resume() must look at it often enough (at least at
  // every stop it handles, and after interrupt() woke it) and return StopReason::interrupted().
  const std::atomic<bool>* interrupt_flag = nullptr;

  bool interrupt_requested() const {
    return interrupt_flag && interrupt_flag->load(std::memory_order_acquire);
  }
};

enum class WatchKind { Write, Read, Access };

struct StopReason {
  enum class Kind {
    Signal,        // `signal` stopped `thread` (a fault, a signal the program received...)
    SwBreakpoint,  // a software breakpoint; the thread's pc must be the breakpoint's address
    HwBreakpoint,  // a hardware (Z1) breakpoint at pc
    Watchpoint,    // watch_kind access to watch_addr (reported after the accessing instruction)
    Step,          // the requested single step finished
    Interrupted,   // gdb's Ctrl-C (reported as SIGINT)
    Exited,        // the process exited with exit_code
    Killed,        // the process was killed by `signal`
    ReplayBegin,   // running backward reached the start of the recording
    ReplayEnd,     // running forward reached the end of the recording
  };
  Kind kind = Kind::Signal;
  ThreadId thread = 0;   // the thread that stopped (gdb switches to it)
  int signal = SIGTRAP;  // Linux signal number
  int exit_code = 0;
  WatchKind watch_kind = WatchKind::Write;
  uint64_t watch_addr = 0;

  static StopReason with(Kind k, ThreadId t, int sig = SIGTRAP) {
    StopReason r;
    r.kind = k;
    r.thread = t;
    r.signal = sig;
    return r;
  }
  static StopReason interrupted(ThreadId t) { return with(Kind::Interrupted, t, SIGINT); }
  static StopReason watchpoint(ThreadId t, WatchKind wk, uint64_t addr) {
    StopReason r = with(Kind::Watchpoint, t);
    r.watch_kind = wk;
    r.watch_addr = addr;
    return r;
  }
  static StopReason exited(int code) {
    StopReason r = with(Kind::Exited, 0, 0);
    r.exit_code = code;
    return r;
  }
};

// Z/z packet types, numbered as in the protocol.
enum class BreakpointType {
  Software = 0,
  Hardware = 1,
  WriteWatch = 2,
  ReadWatch = 3,
  AccessWatch = 4
};

enum class TargetResult {
  Ok,
  Unsupported,  // the stub replies empty, so gdb knows not to try this kind again
  Error,        // the stub replies with an error
};

// One loaded object from the dynamic linker's r_debug list (struct link_map), as gdb's
// qXfer:libraries-svr4:read wants it.
struct Svr4Library {
  std::string name;  // l_name
  uint64_t lm = 0;   // address of the link_map entry
  uint64_t l_addr = 0;
  uint64_t l_ld = 0;
};

struct Svr4LibraryList {
  uint64_t main_lm = 0;  // link_map of the executable (the list's first entry); 0 if unknown
  std::vector<Svr4Library> libraries;  // the others, in list order
};

// What a `monitor` command printed and whether it succeeded.
struct MonitorResult {
  bool ok = true;
  std::string output;  // shown to the user as is; end lines with '\n'
};

class DebugTarget {
 public:
  virtual ~DebugTarget() = default;

  // Process id as the program sees it.
  virtual int pid() = 0;
  virtual std::vector<ThreadInfo> threads() = 0;
  // The thread of the latest stop (gdb's default thread).
  virtual ThreadId current_thread() = 0;

  // Whether registers include AVX. Decides the target description, so it must not change during
  // a session.
  virtual bool has_avx() = 0;
  // nullopt for an unknown thread.
  virtual std::optional<X86RegisterFile> registers(ThreadId tid) = 0;

  // Copies up to len bytes from addr and returns how many it could read (a prefix: stops at the
  // first unreadable byte). Software breakpoints the target inserted must not show.
  virtual size_t read_memory(uint64_t addr, void* out, size_t len) = 0;

  // Breakpoints and watchpoints apply to the whole process. `len` is the Z packet's kind: the
  // breakpoint's size in bytes (1 for int3) or the watched length.
  virtual TargetResult insert_breakpoint(BreakpointType type, uint64_t addr, size_t len) = 0;
  virtual TargetResult remove_breakpoint(BreakpointType type, uint64_t addr, size_t len) = 0;

  // Runs (forward or backward) until something gdb must know about. Blocks.
  virtual StopReason resume(const ResumeRequest& req) = 0;
  // Called from another thread after req.interrupt_flag was set, to cut a blocking wait short
  // (e.g. send the tracee a signal). The default relies on resume() polling the flag.
  virtual void interrupt() {}

  // The process's auxiliary vector (/proc/PID/auxv bytes).
  virtual std::vector<uint8_t> auxv() = 0;
  // Absolute path of the executable, as gdb should open it.
  virtual std::string exec_file() = 0;
  // Shared libraries from r_debug; nullopt makes gdb walk r_debug itself through memory reads
  // (it finds it from auxv and the executable's dynamic section).
  virtual std::optional<Svr4LibraryList> libraries() { return std::nullopt; }

  // A `monitor` (qRcmd) command line, e.g. "when", "seek 1200".
  virtual MonitorResult monitor(const std::string& command) {
    return {false, "unknown monitor command: " + command + "\n"};
  }

  // gdb ended the session: `kill` (k/vKill) or `detach` (D).
  virtual void kill() {}
  virtual void detach() {}
};

}  // namespace ckrr::gdb
