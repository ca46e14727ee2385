#pragma once
// Hex helpers for the GDB remote protocol: payloads carry numbers as big-endian hex text and
// byte strings (memory, registers, monitor output) as two hex digits per byte.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckrr::gdb {

// Value of one hex digit, or -1.
int hex_digit(char c);

// Parses an unsigned hex number that must fill all of `s` (no sign, no prefix). Fails on an
// empty string, a non-hex character, or a value that does not fit in 64 bits.
std::optional<uint64_t> parse_hex_u64(std::string_view s);

// Two lower-case hex digits per byte.
std::string hex_encode(const void* data, size_t len);
inline std::string hex_encode(std::string_view s) {
  return hex_encode(s.data(), s.size());
}

// The inverse; fails on an odd length or a non-hex character.
std::optional<std::vector<uint8_t>> hex_decode(std::string_view s);

// A number as gdb writes it in packets: lower-case hex without leading zeros ("0" for zero).
std::string hex_number(uint64_t v);

}  // namespace ckrr::gdb
