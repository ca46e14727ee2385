#include "replayer/gdb/GdbHex.h"

namespace ckrr::gdb {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<uint64_t> parse_hex_u64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    if (v >> 60) return std::nullopt;  // the next shift would lose bits
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

std::string hex_encode(const void* data, size_t len) {
  static const char kDigits[] = "0123456789abcdef";
  const auto* p = static_cast<const uint8_t*>(data);
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; i++) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

std::optional<std::vector<uint8_t>> hex_decode(std::string_view s) {
  if (s.size() % 2) return std::nullopt;
  std::vector<uint8_t> out(s.size() / 2);
  for (size_t i = 0; i < out.size(); i++) {
    int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string hex_number(uint64_t v) {
  static const char kDigits[] = "0123456789abcdef";
  if (v == 0) return "0";
  std::string out;
  while (v) {
    out.insert(out.begin(), kDigits[v & 15]);
    v >>= 4;
  }
  return out;
}

}  // namespace ckrr::gdb
