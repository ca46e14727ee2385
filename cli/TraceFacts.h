#pragma once
// Small facts about a trace directory that several commands print (info, ls).
#include <cstdint>
#include <filesystem>
#include <string>

namespace ckrr {

// Bytes of the regular files under p.
uint64_t dir_size(const std::filesystem::path& p);
// "1.5 MiB".
std::string human_bytes(uint64_t b);
// "2026-12-06 08:22:01 UTC" from nanoseconds since the epoch (as text); "" when empty.
std::string utc_time_text(const std::string& unix_ns);

}  // namespace ckrr
