#include "replayer/gdb/GdbPacket.h"

#include "replayer/gdb/GdbHex.h"

namespace ckrr::gdb {

void PacketDecoder::feed(const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < len; i++) {
    uint8_t c = p[i];
    switch (state_) {
      case State::Idle:
        // Anything else between packets is line noise; gdb never sends it.
        if (c == '$') {
          state_ = State::Payload;
          payload_.clear();
          overflow_ = false;
          sum_ = 0;
        } else if (c == '+') {
          events_.push_back({PacketEvent::Kind::Ack, {}});
        } else if (c == '-') {
          events_.push_back({PacketEvent::Kind::Nak, {}});
        } else if (c == 0x03) {
          events_.push_back({PacketEvent::Kind::Interrupt, {}});
        }
        break;
      case State::Payload:
        if (c == '#') {
          state_ = State::Checksum1;
        } else if (c == '$') {
          // gdb escapes `$` inside packets, so this is the start of a new packet after a lost
          // tail: report the old one and start over.
          events_.push_back({PacketEvent::Kind::Truncated, {}});
          payload_.clear();
          overflow_ = false;
          sum_ = 0;
        } else {
          sum_ = static_cast<uint8_t>(sum_ + c);
          if (payload_.size() < max_payload_)
            payload_.push_back(static_cast<char>(c));
          else
            overflow_ = true;
        }
        break;
      case State::Checksum1:
        checksum_hi_ = hex_digit(static_cast<char>(c));
        state_ = State::Checksum2;
        break;
      case State::Checksum2: {
        int lo = hex_digit(static_cast<char>(c));
        finish(checksum_hi_ >= 0 && lo >= 0 && ((checksum_hi_ << 4) | lo) == sum_);
        break;
      }
    }
  }
}

void PacketDecoder::finish(bool checksum_ok) {
  state_ = State::Idle;
  if (overflow_)
    events_.push_back({PacketEvent::Kind::Overflow, {}});
  else if (!checksum_ok)
    events_.push_back({PacketEvent::Kind::BadChecksum, {}});
  else
    events_.push_back({PacketEvent::Kind::Packet, std::move(payload_)});
  payload_.clear();
  overflow_ = false;
}

PacketEvent PacketDecoder::next() {
  PacketEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

std::string encode_packet(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 4);
  out.push_back('$');
  uint8_t sum = 0;
  auto put = [&](char c) {
    out.push_back(c);
    sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  };
  for (char c : payload) {
    if (c == '#' || c == '$' || c == '}' || c == '*') {
      put('}');
      put(static_cast<char>(c ^ 0x20));
    } else {
      put(c);
    }
  }
  static const char kDigits[] = "0123456789abcdef";
  out.push_back('#');
  out.push_back(kDigits[sum >> 4]);
  out.push_back(kDigits[sum & 15]);
  return out;
}

std::string unescape_binary(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '}') {
      if (++i >= s.size()) break;
      out.push_back(static_cast<char>(s[i] ^ 0x20));
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace ckrr::gdb
