#pragma once
// Serves one gdb connection over TCP: listens (127.0.0.1 unless told otherwise), accepts one
// client, and runs the packet loop: framing and acks here, meaning in GdbSession, answers from
// the DebugTarget. A reader thread watches the socket so Ctrl-C reaches a running target.
#include <cstdint>
#include <string>

#include "replayer/gdb/DebugTarget.h"

namespace ckrr::gdb {

struct ListenAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: the kernel picks one
};

// "HOST:PORT", ":PORT", "PORT" or "[V6ADDR]:PORT". Throws ckrr::Error on anything else.
ListenAddress parse_listen_address(const std::string& text);

class GdbServer {
 public:
  explicit GdbServer(DebugTarget& target) : target_(target) {}
  ~GdbServer();
  GdbServer(const GdbServer&) = delete;
  GdbServer& operator=(const GdbServer&) = delete;

  // Binds and listens; returns the port (the chosen one when port 0). Throws ckrr::Error.
  uint16_t listen(const ListenAddress& addr);
  // Waits for one client, then serves it until gdb kills, detaches or disconnects. With
  // `keep_listening`, as gdbserver: a connection that ends without a kill (a port probe that
  // sent nothing, a `detach`, gdb gone) leaves the target as it is and the next client is
  // served; only gdb's `kill` ends it. A client that connects while another is served waits.
  void serve(bool keep_listening = false);
  // Serves an already connected socket (tests use a socketpair). Takes ownership of fd.
  // Returns true when gdb killed the target.
  bool serve_fd(int fd);

 private:
  DebugTarget& target_;
  int listen_fd_ = -1;
};

}  // namespace ckrr::gdb
