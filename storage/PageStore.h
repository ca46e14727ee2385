#pragma once
// Content-addressed store of memory pages for checkpoints, inside the trace:
//
//   checkpoints/pages/pack-<N>.dat   4 KiB pages back to back, page-aligned, so a restore can
//                                    mmap(MAP_PRIVATE) runs of them instead of copying
//   checkpoints/pages/pack-<N>.idx   the pages of pack N: (hash, offset) entries + CRC32
//
// One pack per checkpoint, append-only while that checkpoint is written and never modified
// after its commit: a MAP_PRIVATE mapping shows later writes to the file in pages it has not
// copied yet, so a published pack must stay immutable. A page whose content is already in the
// store (any earlier pack or earlier in this one) costs no new bytes; an all-zero page is stored
// as nothing (PageRef::pack == 0). Files 0600, directory 0700.
//
// Crash safety: a pack's .idx is written (temp + fsync + rename) only after the .dat is synced,
// and manifests referencing a pack are published only after that. A .dat without .idx is a
// crashed writer's leftover: a writable store deletes it on open; readers ignore it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "storage/PageHash.h"

namespace ckrr {

struct PageRef {
  uint32_t pack = 0;    // 0: the zero page (nothing stored)
  uint64_t offset = 0;  // byte offset in the pack, a multiple of kPageSize
  bool zero() const { return pack == 0; }
  bool operator==(const PageRef&) const = default;
};

class PageStore {
 public:
  // Opens (writable: creates) pages_dir. A writable store loads every committed pack index for
  // dedup; a read-only one only reads pages and names pack files. Throws TraceError naming the
  // file for an unreadable directory or a corrupt index (writable), Error for I/O failures.
  static std::unique_ptr<PageStore> open(const std::filesystem::path& pages_dir, bool writable);
  ~PageStore();
  PageStore(const PageStore&) = delete;
  PageStore& operator=(const PageStore&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path pack_path(uint32_t pack) const;

  // Writing: begin() starts a new pack, add() stores pages, commit() makes the pack durable
  // and returns its id (0 if no page was new: no file is kept). abort() deletes the pack in
  // progress and forgets its pages.
  void begin();
  PageRef add(const void* page) { return add(page, hash_page(page)); }
  PageRef add(const void* page, const PageHash& h);
  uint32_t commit();
  void abort();
  bool writing() const { return pack_fd_ >= 0; }
  uint32_t current_pack() const { return pack_; }
  // Bytes written to the current pack so far.
  uint64_t pack_bytes() const { return pack_size_; }
  // Time spent in write() to packs since the store was opened, ms.
  double write_ms() const { return write_ms_; }
  // Distinct non-zero pages known to the store.
  size_t page_count() const { return index_.size(); }

  // Reading: copies the page at ref (zeros for the zero page). Throws TraceError naming the
  // pack when it is missing or too short.
  void read_page(const PageRef& ref, void* out) const;
  // Reads n consecutive pages of one pack (ref.pack != 0).
  void read_pages(const PageRef& first, size_t n, void* out) const;
  // Checks that the n pages stored from `first` hold what their pack's index says (their
  // hash): throws TraceError naming the pack for a flipped bit, a zeroed range, a truncated
  // pack, a page its index does not list or a corrupt index. Each page is checked once per
  // store object (the restorer checks every stored page of a checkpoint before using it).
  void verify(const PageRef& first, size_t n) const;
  // verify() of many runs (ref, pages), hashing on a few threads.
  void verify_all(const std::vector<std::pair<PageRef, size_t>>& runs) const;

 private:
  struct PackIndex {
    uint32_t version = 0;
    std::vector<std::pair<PageHash, uint64_t>> entries;  // hash, offset in the pack
  };
  PageStore(std::filesystem::path dir, bool writable);
  // Reads and checks pack-<n>.idx; throws TraceError naming it when it is corrupt.
  PackIndex read_index(uint32_t n) const;
  void load_indexes();
  void flush();
  int pack_fd_for_read(uint32_t pack) const;

  std::filesystem::path dir_;
  bool writable_;
  std::unordered_map<PageHash, PageRef, PageHashHasher> index_;
  uint32_t next_pack_ = 1;
  // The pack being written.
  uint32_t pack_ = 0;
  int pack_fd_ = -1;
  uint64_t pack_size_ = 0;
  uint64_t written_ = 0, synced_ = 0;  // bytes written to the pack, and sent to writeback
  std::vector<std::pair<PageHash, uint64_t>> pack_entries_;
  std::vector<uint8_t> buf_;
  double write_ms_ = 0;
  mutable std::map<uint32_t, int> read_fds_;
  // verify(): per pack, its index by page number and what was checked, and the pack mapped.
  struct Checked {
    uint32_t version = 0;
    std::vector<PageHash> hash;  // by page number in the pack
    std::vector<uint8_t> state;  // 0: not listed, 1: listed, 2: checked, 3: to check
    const uint8_t* data = nullptr;
    size_t size = 0;
  };
  const Checked& checked(uint32_t pack) const;
  mutable std::map<uint32_t, Checked> checked_;
};

}  // namespace ckrr
