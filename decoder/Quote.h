#pragma once
// Bytes as strace shows them: "text\n\0\177"... — C escapes for the usual controls, the
// shortest octal escape otherwise (three digits when an octal digit follows), cut at `limit`
// bytes with "..." after the closing quote.
#include <cstddef>
#include <string>
#include <string_view>

namespace ckrr {

std::string quote_bytes(std::string_view bytes, size_t limit);
// A NUL-terminated string (a path): stops at the first NUL.
std::string quote_string(std::string_view s, size_t limit);
// Bytes in \xNN form (getrandom's output, where text would mislead).
std::string quote_hex(std::string_view bytes, size_t limit);

}  // namespace ckrr
