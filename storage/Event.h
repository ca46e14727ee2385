#pragma once
// One nondeterministic input of a recording, as stored in the event log.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckrr {

enum class EventKind : uint16_t {
  Syscall = 1,  // a trapped syscall; nr = syscall number
  Signal = 2,   // a signal delivered to the app; nr = signal number
  Rdtsc = 3,    // an emulated rdtsc/rdtscp; result = the value
  Exec = 4,     // a successful execve (the new image); nr = execve/execveat
  Exit = 5,     // the process ended; result = wait status
  Preempt = 6,  // a thread was preempted between syscalls (multi-threading)
  Enter = 7,    // a thread entered a syscall that may block; its Syscall event comes later
};
// How replay finds a Preempt event's point (its args[2]; args[3] is the count).
enum class PointKind : uint64_t {
  Registers = 0,  // the first hit of rip (DR0) with the recorded registers and stack digest
  Counted = 1,    // the args[3]-th hit of rip since the thread's last event (then checked)
};
const char* event_kind_name(EventKind k);
std::optional<EventKind> event_kind_from_name(std::string_view name);

// What replay does with a syscall event.
enum class ReplayMode : uint8_t {
  Emulate = 0,            // skip the syscall; write result and memory from the log
  Reexecute = 1,          // run it for real; the result must match (else divergence)
  ReexecuteOverride = 2,  // run it for its effect on the process, then force result+memory
};

// Memory the kernel wrote into the process during the event.
struct MemWrite {
  uint64_t addr = 0;
  std::vector<uint8_t> bytes;
};

// Extra data a plugin attaches to an event, identified by a tag the plugin owns.
struct Blob {
  uint16_t tag = 0;
  std::vector<uint8_t> data;
  std::string_view text() const {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
  }
};

// Blob tags, one namespace for all plugins so the GUI can decode them.
namespace blob {
constexpr uint16_t kPath = 1;           // a path the syscall named (text)
constexpr uint16_t kStoredFile = 2;     // "files/<sha256>/<name>" saved in the trace (text)
constexpr uint16_t kRegs = 3;           // struct user_regs_struct at the event
constexpr uint16_t kSigInfo = 4;        // siginfo_t of a signal
constexpr uint16_t kData = 5;           // bytes the app wrote out (write/send), for echo and GUI
constexpr uint16_t kAuxv = 6;           // auxv after exec
constexpr uint16_t kRandom = 7;         // AT_RANDOM bytes after exec
constexpr uint16_t kFdInfo = 8;         // plugin-defined description of an fd
constexpr uint16_t kIp = 9;             // u64 rip of a syscall event (right after its `syscall`)
constexpr uint16_t kConservative = 10;  // text: why the call's memory effects were guessed
// Between a call's entry and exit only, never written out: memory near its pointer arguments.
constexpr uint16_t kBeforeCall = 11;
constexpr uint16_t kNewTid = 13;  // i32: a clone's new thread as ckrr knows it (the result may be
                                  // its id in another pid namespace)
constexpr uint16_t kPath2 = 14;   // the other path of a two-path call (rename's new path,
                                  // symlink's target), for display
constexpr uint16_t kCwd = 15;     // the working directory of an exec call (replay execs from there)
constexpr uint16_t kFileId = 12;  // u64 st_dev, u64 st_ino of a mapped file (shared mappings)
// What a recorded tracer did to another recorded thread (plugins/TraceeEffects.h), one per blob.
constexpr uint16_t kTraceeEffect = 16;
constexpr uint16_t kBuffered = 17;  // empty: the call ran in the app, through the agent's buffer
}  // namespace blob

struct Event {
  uint64_t seq = 0;  // global, dense, from 1
  int32_t tid = 0;   // the thread as the app sees it (virtual tid)
  EventKind kind = EventKind::Syscall;
  ReplayMode mode = ReplayMode::Emulate;
  int32_t nr = -1;  // syscall or signal number
  uint64_t args[6] = {};
  int64_t result = 0;
  uint64_t time_ns = 0;  // since the start of the recording (CLOCK_MONOTONIC)
  std::vector<MemWrite> writes;
  std::vector<Blob> blobs;

  const Blob* find_blob(uint16_t tag) const;
  void add_blob(uint16_t tag, const void* data, size_t len);
  void add_text(uint16_t tag, std::string_view s) { add_blob(tag, s.data(), s.size()); }
  // "read", "SIGSEGV", "rdtsc", "execve", "exit": the name shown by `ckrr events` and the GUI.
  std::string name() const;
};

// Binary encoding inside a chunk (little-endian, length-prefixed; see EventCodec.cpp).
void encode_event(const Event& e, std::vector<uint8_t>& out);
// Decodes one event from [p, p+n); returns bytes consumed, or 0 if the input is malformed.
size_t decode_event(const uint8_t* p, size_t n, Event& e);

}  // namespace ckrr
