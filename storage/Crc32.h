#pragma once
// CRC-32 (IEEE 802.3, the zlib/PNG one) for chunk frames; small enough not to need zlib.
#include <cstddef>
#include <cstdint>

namespace ckrr {

// crc32("123456789") == 0xCBF43926. Pass a previous result as `crc` to continue a running CRC.
uint32_t crc32(const void* data, size_t len, uint32_t crc = 0);

}  // namespace ckrr
