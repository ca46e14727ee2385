#pragma once
// Framing of the GDB remote protocol: `$payload#cs` packets, `+`/`-` acknowledgements and the
// 0x03 interrupt byte. The decoder takes bytes as they arrive from the socket, in any split,
// and never fails: malformed input becomes an event the server answers, not a crash.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace ckrr::gdb {

struct PacketEvent {
  enum class Kind {
    Packet,       // a complete packet with a good checksum; payload is the raw (escaped) text
    BadChecksum,  // complete but the checksum did not match (or was not hex)
    Overflow,     // longer than the decoder's limit; dropped
    Truncated,    // a new `$` arrived before the `#` of the previous packet
    Ack,          // `+`
    Nak,          // `-`: resend the last packet
    Interrupt,    // 0x03 outside a packet (Ctrl-C in gdb)
  };
  Kind kind;
  std::string payload;
};

class PacketDecoder {
 public:
  // Packets longer than max_payload are dropped (reported as Overflow), so a peer cannot make
  // the stub buffer without bound.
  explicit PacketDecoder(size_t max_payload = 1 << 20) : max_payload_(max_payload) {}

  void feed(const void* data, size_t len);
  void feed(std::string_view s) { feed(s.data(), s.size()); }
  bool has_event() const { return !events_.empty(); }
  PacketEvent next();  // requires has_event()

 private:
  enum class State { Idle, Payload, Checksum1, Checksum2 };
  void finish(bool checksum_ok);

  size_t max_payload_;
  State state_ = State::Idle;
  std::string payload_;
  bool overflow_ = false;
  uint8_t sum_ = 0;      // running sum of the payload bytes
  int checksum_hi_ = 0;  // first checksum digit, or -1 when not hex
  std::deque<PacketEvent> events_;
};

// `$payload#cs`, with `#`, `$`, `}` and `*` in the payload escaped as `}` + (byte ^ 0x20), so
// binary qXfer data can travel and gdb never mistakes a `*` for run-length encoding.
std::string encode_packet(std::string_view payload);

// Removes `}` escapes from binary data gdb sent (X packets). A trailing lone `}` is dropped.
std::string unescape_binary(std::string_view s);

}  // namespace ckrr::gdb
