#pragma once
// A fast 128-bit hash of one 4 KiB page, the key of the checkpoint page store and the check
// of its contents on restore. Not cryptographic: pages are the app's own memory, not
// adversarial input, and 128 bits make an accidental collision (which would silently
// substitute a page) negligible. The algorithm is part of the on-disk format (pack indexes
// store these hashes), named by the index's version:
//   version 1  hash_page_v1, a chained multiply-fold hash (~4 GB/s here)
//   version 2  XXH3-128 from libxxhash (~10 GB/s here with its SSE2 code), hash_page
#include <cstdint>
#include <cstring>

namespace ckrr {

constexpr size_t kPageSize = 4096;

struct PageHash {
  uint64_t lo = 0, hi = 0;
  bool operator==(const PageHash&) const = default;
};

struct PageHashHasher {
  size_t operator()(const PageHash& h) const { return static_cast<size_t>(h.lo); }
};

PageHash hash_page(const void* page);
PageHash hash_page_v1(const void* page);
// The hash of a page for a pack index of that version (1 or 2).
inline PageHash hash_page_version(const void* page, uint32_t version) {
  return version == 1 ? hash_page_v1(page) : hash_page(page);
}

// True if all kPageSize bytes are zero (zero pages are stored as nothing).
bool page_is_zero(const void* page);

}  // namespace ckrr
