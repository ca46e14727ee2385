#include "core/Duration.h"

#include <cmath>
#include <cstdlib>

namespace ckrr {

std::optional<uint64_t> parse_duration_ns(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char* s = text.c_str();
  char* end = nullptr;
  double v = strtod(s, &end);
  if (end == s || !std::isfinite(v) || v < 0 || text[0] == '-' || text[0] == '+')
    return std::nullopt;
  std::string unit(end);
  double scale;
  if (unit.empty() || unit == "s")
    scale = 1e9;
  else if (unit == "ms")
    scale = 1e6;
  else if (unit == "us")
    scale = 1e3;
  else if (unit == "ns")
    scale = 1;
  else if (unit == "m" || unit == "min")
    scale = 60e9;
  else if (unit == "h")
    scale = 3600e9;
  else
    return std::nullopt;
  double ns = v * scale;
  if (ns > 1e18) return std::nullopt;
  return static_cast<uint64_t>(std::llround(ns));
}

}  // namespace ckrr
