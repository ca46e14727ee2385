#pragma once
// Durations on the command line: "1s", "500ms", "2.5s", "1m", "250us", "0"; a bare number
// means seconds.
#include <cstdint>
#include <optional>
#include <string>

namespace ckrr {

// Nanoseconds, or nullopt when text is not a duration.
std::optional<uint64_t> parse_duration_ns(const std::string& text);

}  // namespace ckrr
