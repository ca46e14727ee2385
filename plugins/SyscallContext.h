#pragma once
// What a plugin sees of one trapped syscall or fault, in record and in replay.
#include <cstdint>
#include <string>
#include <vector>

#include "core/Task.h"
#include "plugins/ProcessState.h"
#include "storage/Event.h"

namespace ckrr {

class AppTraces;
class FileStore;

// A recorded thread as a tracer would see it: its memory through task, its registers (those it
// entered its current call with, when it waits in the kernel).
struct ThreadView {
  Task* task = nullptr;
  pid_t parent = 0;       // the pid of its process's parent (0: not recorded)
  bool has_regs = false;  // false: ckrr cannot tell them now (a new thread not yet stopped)
  Registers regs{};
  std::vector<uint8_t> xstate;
};

// Services of the running session a plugin may need.
class SessionServices {
 public:
  virtual ~SessionServices() = default;
  virtual bool replaying() const = 0;
  // Record: the trace's store of executed/mapped files.
  virtual FileStore* file_store() = 0;
  // Record: remember a mapped file in the index.
  virtual void note_mapped_file(const std::string& path, const std::string& stored,
                                uint64_t size) = 0;
  // Replay: absolute path of a stored file.
  virtual std::string stored_file_path(const std::string& stored) = 0;
  // Replay: output the app wrote to the terminal/pipe ckrr was started with.
  virtual void echo(int std_stream, const void* data, size_t len) = 0;
  // Replay, at a seccomp stop: turns the pending syscall into a no-op and runs the task to
  // its syscall-exit stop, where syscalls can be injected.
  virtual void finish_skipped(Task& t) = 0;
  // Record: a call whose memory effects were guessed (ConservativeCapture), named for `ckrr info`.
  virtual void note_conservative(const std::string&) {}
  // Record: a request ckrr answers as unsupported (EIO...) where the kernel would have served
  // it, named once on stderr and in `ckrr info`.
  virtual void note_not_emulated(const std::string&) {}
  // Record: the recorded thread with this tid (as the app knows it), as a tracer of it would
  // see it stopped now. False when there is no such thread.
  virtual bool recorded_thread(pid_t, ThreadView&) { return false; }
  // Record: the program's own tracing of its threads and children (AppTraces); null in replay.
  virtual AppTraces* app_traces() { return nullptr; }
};

struct SyscallContext {
  SyscallContext(Task& t, ProcessState& p, SessionServices& s, Event& e, int n)
      : task(t), proc(p), session(s), event(e), nr(n) {}
  Task& task;
  ProcessState& proc;
  SessionServices& session;
  Event& event;  // record: being built; replay: as recorded
  int nr = 0;
  uint64_t args[6] = {};
  int64_t result = 0;  // record: after the syscall ran
  // Record: skip the syscall and return forced_result (e.g. rseq: -ENOSYS).
  bool skip = false;
  int64_t forced_result = 0;
  // Record: do not run it now; the thread waits (a tracer's wait with nothing to report yet)
  // and its entry is handled again when the session lets it go on (AppTraces::take_wakes).
  bool park = false;
  // Replay: the plugin did all the work itself.
  bool handled = false;
  // Short human text for the index; empty: a generic one is made.
  std::string summary;

  bool failed() const { return result < 0 && result >= -4095; }
  // Record: copy len bytes the kernel wrote at addr into the event.
  void capture(uint64_t addr, uint64_t len);
  // Replay, for a plugin that re-makes a mapping call itself: the address it got must be the
  // recorded one (else a Divergence naming `call`); then the recorded bytes are written.
  void expect_recorded_address(int64_t got, const char* call) const;
  void write_recorded_memory();
};

struct FaultContext {
  FaultContext(Task& t, ProcessState& p, SessionServices& s, Event& e, int sg, const siginfo_t& i)
      : task(t), proc(p), session(s), event(e), sig(sg), info(i) {}
  Task& task;
  ProcessState& proc;
  SessionServices& session;
  Event& event;
  int sig = 0;
  siginfo_t info{};
};

}  // namespace ckrr
