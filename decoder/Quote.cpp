#include "decoder/Quote.h"

namespace ckrr {

namespace {

bool octal_digit(char c) {
  return c >= '0' && c <= '7';
}

void escape_into(std::string& out, unsigned char c, bool next_is_octal) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    default:
      break;
  }
  if (c >= 0x20 && c < 0x7f) {
    out += static_cast<char>(c);
    return;
  }
  out += '\\';
  // Three digits when the next byte is itself an octal digit, so the escape stays unambiguous.
  if (next_is_octal || c >= 0100) {
    out += static_cast<char>('0' + (c >> 6));
    out += static_cast<char>('0' + ((c >> 3) & 7));
  } else if (c >= 010) {
    out += static_cast<char>('0' + ((c >> 3) & 7));
  }
  out += static_cast<char>('0' + (c & 7));
}

}  // namespace

std::string quote_bytes(std::string_view bytes, size_t limit) {
  std::string out = "\"";
  const size_t n = bytes.size() < limit ? bytes.size() : limit;
  for (size_t i = 0; i < n; ++i)
    escape_into(out, static_cast<unsigned char>(bytes[i]), i + 1 < n && octal_digit(bytes[i + 1]));
  out += '"';
  if (bytes.size() > limit) out += "...";
  return out;
}

std::string quote_string(std::string_view s, size_t limit) {
  const size_t nul = s.find('\0');
  return quote_bytes(nul == std::string_view::npos ? s : s.substr(0, nul), limit);
}

std::string quote_hex(std::string_view bytes, size_t limit) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "\"";
  const size_t n = bytes.size() < limit ? bytes.size() : limit;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    out += "\\x";
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  out += '"';
  if (bytes.size() > limit) out += "...";
  return out;
}

}  // namespace ckrr
