#include "gui/models/HexDump.h"

#include <algorithm>
#include <cstdio>

namespace ckrr::gui {

std::string hexDump(std::span<const uint8_t> bytes, uint64_t base, size_t max_bytes) {
  std::string out;
  const size_t n = std::min(bytes.size(), max_bytes);
  char buf[32];
  for (size_t off = 0; off < n; off += 16) {
    std::snprintf(buf, sizeof buf, "%012llx  ", static_cast<unsigned long long>(base + off));
    out += buf;
    for (size_t i = 0; i < 16; ++i) {
      if (off + i < n) {
        std::snprintf(buf, sizeof buf, "%02x ", bytes[off + i]);
        out += buf;
      } else {
        out += "   ";
      }
      if (i == 7) out += ' ';
    }
    out += " |";
    for (size_t i = 0; i < 16 && off + i < n; ++i) {
      const uint8_t c = bytes[off + i];
      out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
    }
    out += "|\n";
  }
  if (bytes.size() > n) out += "... " + std::to_string(bytes.size() - n) + " more bytes\n";
  return out;
}

}  // namespace ckrr::gui
