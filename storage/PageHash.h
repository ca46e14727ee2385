#pragma once
// A fast 128-bit hash of one 4 KiB page, the key of the checkpoint page store. SHA-256 runs at
// a few hundred MB/s, too slow for hashing a whole address space during a checkpoint pause;
// this chained multiply-fold hash runs at several GB/s. It is not cryptographic: pages are the
// app's own memory, not adversarial input, and 128 bits make an accidental collision
// (which would silently substitute a page) negligible. The algorithm is part of the on-disk
// format (pack indexes store these hashes): never change it without a format version bump.
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

// True if all kPageSize bytes are zero (zero pages are stored as nothing).
bool page_is_zero(const void* page);

}  // namespace ckrr
