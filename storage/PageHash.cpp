#include "storage/PageHash.h"

#include <xxh_x86dispatch.h>
#include <xxhash.h>

namespace ckrr {

namespace {

// 64x64->128 multiply, folded: the mixing step of wyhash.
inline uint64_t mum(uint64_t a, uint64_t b) {
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kS0 = 0xa0761d6478bd642full, kS1 = 0xe7037ed1a0b428dbull,
                   kS2 = 0x8ebc6af09c88c6e3ull, kS3 = 0x589965cc75374cc3ull;

}  // namespace

PageHash hash_page(const void* page) {
  // The library picks its fastest code for this CPU (AVX2 here); the result is the same.
  XXH128_hash_t x = XXH3_128bits_dispatch(page, kPageSize);
  return PageHash{x.low64, x.high64};
}

PageHash hash_page_v1(const void* page) {
  const auto* w = static_cast<const uint8_t*>(page);
  constexpr size_t kWords = kPageSize / 8;
  // Two independent chained lanes over different word pairings, so one unlucky zero product
  // in a lane does not make two pages collide in both halves.
  uint64_t a = kS0, b = kS2;
  for (size_t i = 0; i < kWords / 2; ++i) {
    uint64_t x, y, z;
    memcpy(&x, w + 16 * i, 8);
    memcpy(&y, w + 16 * i + 8, 8);
    memcpy(&z, w + 8 * ((i + kWords / 2) % kWords), 8);
    a = mum(x ^ kS1 ^ a, y ^ kS0);
    b = mum(y ^ kS3 ^ b, (x + z) ^ kS2 ^ i);
  }
  PageHash h;
  h.lo = mum(a ^ kS1, b ^ kS3 ^ kPageSize);
  h.hi = mum(b ^ kS0, a ^ kS2 ^ h.lo);
  return h;
}

bool page_is_zero(const void* page) {
  const auto* p = static_cast<const uint8_t*>(page);
  uint64_t acc = 0;
  for (size_t i = 0; i < kPageSize; i += 64) {
    uint64_t v[8];
    memcpy(v, p + i, 64);
    acc |= v[0] | v[1] | v[2] | v[3] | v[4] | v[5] | v[6] | v[7];
    if (acc) return false;
  }
  return true;
}

}  // namespace ckrr
