#pragma once
// SHA-256, for content addressing (saved files, checkpoint pages) and state digests.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ckrr {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::array<uint8_t, 32> finish();
  // Lower-case hex of finish().
  std::string hex();
  static std::string hex_of(const void* data, size_t len);
  // Lower-case hex digest of a file's content; "" when it cannot be read.
  static std::string hex_of_file(const std::string& path);
  // Whether the SHA extensions are used; tests switch them off to compare both paths.
  static bool hardware_accelerated();
  static void force_portable(bool portable);

 private:
  void block(const uint8_t* p);             // portable, one 64-byte block
  void blocks(const uint8_t* p, size_t n);  // n blocks, SHA-NI when the CPU has it
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

}  // namespace ckrr
