#pragma once
// One gdb connection's protocol state and the packet dispatcher: takes a packet's payload and
// returns the packets to send back, asking the DebugTarget for everything it reports. Knows
// nothing about sockets (GdbServer does), so tests can drive it directly.
#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replayer/gdb/DebugTarget.h"

namespace ckrr::gdb {

// What gdb is told when it tries to change the replayed program.
extern const char* const kReadOnlyMessage;

class GdbSession {
 public:
  explicit GdbSession(DebugTarget& target);

  // Handles one packet payload (as received, escapes intact). Returns the payloads to send, in
  // order; empty only after `k`, which has no reply. Never throws: a malformed packet gets an
  // error reply, an unknown one an empty reply.
  std::vector<std::string> handle(std::string_view payload);

  // gdb's Ctrl-C. Safe from any thread; has no effect unless a resume is in progress.
  void interrupt();

  // QStartNoAckMode was accepted: stop sending and expecting `+` after its OK.
  bool no_ack() const { return no_ack_; }
  // gdb killed the target or detached; the connection should close.
  bool finished() const { return finished_; }
  // gdb killed the target (k, vKill): a stub that keeps listening ends too.
  bool killed() const { return killed_; }

 private:
  struct ThreadSel {
    int pid = -1;      // -1: all/unspecified
    ThreadId tid = 0;  // -1: all, 0: any
  };

  std::string dispatch(std::string_view p, std::vector<std::string>& out);
  std::string handle_query(std::string_view p, std::vector<std::string>& out);
  std::string handle_v(std::string_view p);
  std::string handle_qxfer(std::string_view p);
  std::string handle_supported(std::string_view p);
  std::string handle_breakpoint(std::string_view p);
  std::string handle_vcont(std::string_view p);
  std::string handle_rcmd(std::string_view hex, std::vector<std::string>& out);
  std::string read_registers(std::string_view p);
  std::string read_register(std::string_view p);
  std::string read_memory(std::string_view p);
  std::string set_thread(std::string_view p);
  std::string resume(Direction dir, bool step, ThreadId tid, int signal);
  std::string stop_reply(const StopReason& s);
  std::string thread_id(ThreadId tid);
  std::optional<ThreadSel> parse_thread(std::string_view s);
  ThreadId resolve(ThreadId tid);
  bool thread_alive(ThreadId tid);
  std::string libraries_xml(const Svr4LibraryList& list);
  std::string threads_xml();

  DebugTarget& target_;
  std::atomic<bool> running_{false};
  std::atomic<bool> interrupt_flag_{false};
  bool no_ack_ = false;
  bool finished_ = false;
  bool killed_ = false;
  bool multiprocess_ = false;  // gdb offered multiprocess+: thread ids are pPID.TID
  bool swbreak_ = false;       // gdb understands swbreak:/hwbreak: in stop replies
  bool hwbreak_ = false;
  ThreadId g_thread_ = 0;  // Hg: thread for register reads (0: current)
  ThreadId c_thread_ = 0;  // Hc: thread for resumes (0/-1: current)
  std::optional<StopReason> last_stop_;
  bool exited_ = false;
};

}  // namespace ckrr::gdb
