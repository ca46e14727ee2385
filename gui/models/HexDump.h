#pragma once
// Classic 16-bytes-per-line hex dump with an ASCII column, addresses from `base`.
#include <cstdint>
#include <span>
#include <string>

namespace ckrr::gui {

// At most max_bytes are shown; a last line says how many more there were.
std::string hexDump(std::span<const uint8_t> bytes, uint64_t base, size_t max_bytes = 4096);

}  // namespace ckrr::gui
