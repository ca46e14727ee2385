#pragma once
// Byte layout of events.log shared by the writer and the reader (see EventLogWriter.h).
#include <cstddef>
#include <cstdint>

namespace ckrr::chunk {

constexpr char kFileMagic[7] = {'C', 'K', 'R', 'R', 'L', 'O', 'G'};
constexpr uint8_t kFileVersion = 1;
constexpr size_t kFileHeaderSize = 8;

constexpr uint32_t kMagic = 0x31434B43;  // "CKC1" as bytes in the file
constexpr size_t kHeaderSize = 32;
// Offsets inside the chunk header.
constexpr size_t kOffMagic = 0, kOffCompressedLen = 4, kOffRawLen = 8, kOffCount = 12,
                 kOffFirstSeq = 16, kOffDataCrc = 24, kOffHeaderCrc = 28;
// A reader refuses to allocate more than this for one chunk, whatever the header says.
constexpr uint32_t kMaxRawLen = 1u << 30;

inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline uint32_t get_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t get_u64(const uint8_t* p) {
  return get_u32(p) | uint64_t(get_u32(p + 4)) << 32;
}

}  // namespace ckrr::chunk
