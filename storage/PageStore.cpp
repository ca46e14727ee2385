#include "storage/PageStore.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/Error.h"
#include "storage/AtomicFile.h"
#include "storage/Crc32.h"
#include "storage/FdIo.h"

namespace ckrr {

namespace fs = std::filesystem;

namespace {

constexpr char kIdxMagic[8] = {'C', 'K', 'R', 'R', 'P', 'I', 'D', 'X'};
// Version 1: hash_page_v1; 2: XXH3-128 (PageHash.h). Both are read.
constexpr uint32_t kIdxVersion = 2;
// Header: magic, version, pack id, entry count. Entry: hash lo, hash hi, offset. Trailer: CRC32
// of everything before it.
constexpr size_t kIdxHeader = 8 + 4 + 4 + 8;
constexpr size_t kIdxEntry = 24;
// Pages are buffered and written to the pack in chunks of this size.
constexpr size_t kWriteBuf = 1 << 20;
// Writeback of a pack is started every this many bytes.
constexpr uint64_t kWritebackChunk = 16 << 20;

// "pack-<N>.dat" / "pack-<N>.idx" -> N, or 0.
uint32_t pack_number(const std::string& name, const char* ext) {
  if (name.size() < 10 || name.compare(0, 5, "pack-") != 0) return 0;
  size_t dot = name.find('.', 5);
  if (dot == std::string::npos || name.substr(dot) != ext) return 0;
  std::string num = name.substr(5, dot - 5);
  if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos) return 0;
  unsigned long v = std::stoul(num);
  return v > 0 && v < UINT32_MAX ? static_cast<uint32_t>(v) : 0;
}

}  // namespace

std::unique_ptr<PageStore> PageStore::open(const fs::path& pages_dir, bool writable) {
  std::unique_ptr<PageStore> s(new PageStore(pages_dir, writable));
  if (writable) {
    std::error_code ec;
    fs::create_directories(pages_dir, ec);
    if (ec) throw Error("cannot create " + pages_dir.string() + ": " + ec.message());
    ::chmod(pages_dir.c_str(), 0700);
    s->load_indexes();
  } else if (!fs::is_directory(pages_dir)) {
    throw TraceError("checkpoint page store " + pages_dir.string() + " is missing");
  }
  return s;
}

PageStore::PageStore(fs::path dir, bool writable) : dir_(std::move(dir)), writable_(writable) {}

PageStore::~PageStore() {
  if (pack_fd_ >= 0) abort();
  for (auto& [id, c] : checked_)
    if (c.data) ::munmap(const_cast<uint8_t*>(c.data), c.size);
  for (auto& [id, fd] : read_fds_) ::close(fd);
}

fs::path PageStore::pack_path(uint32_t pack) const {
  return dir_ / ("pack-" + std::to_string(pack) + ".dat");
}

PageStore::PackIndex PageStore::read_index(uint32_t n) const {
  fs::path p = dir_ / ("pack-" + std::to_string(n) + ".idx");
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw TraceError(errno_text("cannot open " + p.string(), errno));
  struct stat st;
  ::fstat(fd, &st);
  std::vector<uint8_t> b(static_cast<size_t>(st.st_size));
  ssize_t got = pread_all(fd, b.data(), b.size(), 0);
  ::close(fd);
  uint64_t count = 0;
  uint32_t pack = 0;
  PackIndex out;
  bool ok = got == static_cast<ssize_t>(b.size()) && b.size() >= kIdxHeader + 4 &&
            memcmp(b.data(), kIdxMagic, 8) == 0;
  if (ok) {
    memcpy(&out.version, b.data() + 8, 4);
    memcpy(&pack, b.data() + 12, 4);
    memcpy(&count, b.data() + 16, 8);
    uint32_t crc;
    memcpy(&crc, b.data() + b.size() - 4, 4);
    ok = (out.version == 1 || out.version == kIdxVersion) && pack == n &&
         count <= (b.size() - kIdxHeader - 4) / kIdxEntry &&
         b.size() == kIdxHeader + count * kIdxEntry + 4 && crc32(b.data(), b.size() - 4) == crc;
  }
  if (!ok) throw TraceError("checkpoint page index " + p.string() + " is corrupt");
  out.entries.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t* e = b.data() + kIdxHeader + i * kIdxEntry;
    PageHash h;
    uint64_t off;
    memcpy(&h.lo, e, 8);
    memcpy(&h.hi, e + 8, 8);
    memcpy(&off, e + 16, 8);
    out.entries.emplace_back(h, off);
  }
  return out;
}

void PageStore::load_indexes() {
  std::map<uint32_t, bool> dats, idxs;
  for (const auto& e : fs::directory_iterator(dir_)) {
    std::string name = e.path().filename().string();
    if (uint32_t n = pack_number(name, ".dat")) dats[n] = true;
    if (uint32_t n = pack_number(name, ".idx")) idxs[n] = true;
    if (name.find(".tmp-") != std::string::npos) fs::remove(e.path());
  }
  for (const auto& [n, _] : dats) {
    next_pack_ = std::max(next_pack_, n + 1);
    if (!idxs.count(n)) fs::remove(pack_path(n));  // a crashed writer's pack: never published
  }
  for (const auto& [n, _] : idxs) {
    next_pack_ = std::max(next_pack_, n + 1);
    PackIndex idx = read_index(n);
    // Pages of an index of another version are keyed by another hash: not found by lookups,
    // stored again if seen again (never the case: a store is written by one ckrr).
    for (const auto& [h, off] : idx.entries) index_.emplace(h, PageRef{n, off});
  }
}

void PageStore::begin() {
  if (!writable_) throw Error("page store " + dir_.string() + " is open read-only");
  if (pack_fd_ >= 0) throw Error("page store: a pack is already being written");
  pack_ = next_pack_++;
  fs::path p = pack_path(pack_);
  pack_fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (pack_fd_ < 0) throw Error(errno_text("create " + p.string(), errno));
  pack_size_ = 0;
  written_ = synced_ = 0;
  pack_entries_.clear();
  buf_.clear();
  buf_.reserve(kWriteBuf);
}

void PageStore::flush() {
  if (buf_.empty()) return;
  auto t0 = std::chrono::steady_clock::now();
  if (int err = write_all(pack_fd_, buf_.data(), buf_.size()))
    throw Error(errno_text("write " + pack_path(pack_).string(), err));
  // Start writing back what is written so far: the disk works while the next pages are read
  // and hashed, and commit()'s fsync has only the tail left.
  written_ += buf_.size();
  if (written_ - synced_ >= kWritebackChunk) {
    ::sync_file_range(pack_fd_, static_cast<off_t>(synced_), static_cast<off_t>(written_ - synced_),
                      SYNC_FILE_RANGE_WRITE);
    synced_ = written_;
  }
  buf_.clear();
  write_ms_ +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

PageRef PageStore::add(const void* page, const PageHash& h) {
  auto it = index_.find(h);
  if (it != index_.end()) return it->second;
  if (page_is_zero(page)) return PageRef{};
  PageRef ref{pack_, pack_size_};
  if (buf_.size() + kPageSize > kWriteBuf) flush();
  const auto* p = static_cast<const uint8_t*>(page);
  buf_.insert(buf_.end(), p, p + kPageSize);
  pack_size_ += kPageSize;
  index_.emplace(h, ref);
  pack_entries_.emplace_back(h, ref.offset);
  return ref;
}

uint32_t PageStore::commit() {
  if (pack_fd_ < 0) throw Error("page store: commit without begin");
  fs::path p = pack_path(pack_);
  if (pack_entries_.empty()) {
    ::close(pack_fd_);
    pack_fd_ = -1;
    ::unlink(p.c_str());
    --next_pack_;
    return 0;
  }
  flush();
  if (::fsync(pack_fd_) != 0) throw Error(errno_text("fsync " + p.string(), errno));
  ::close(pack_fd_);
  pack_fd_ = -1;
  std::vector<uint8_t> idx(kIdxHeader + pack_entries_.size() * kIdxEntry + 4);
  uint64_t count = pack_entries_.size();
  memcpy(idx.data(), kIdxMagic, 8);
  memcpy(idx.data() + 8, &kIdxVersion, 4);
  memcpy(idx.data() + 12, &pack_, 4);
  memcpy(idx.data() + 16, &count, 8);
  for (size_t i = 0; i < pack_entries_.size(); ++i) {
    uint8_t* e = idx.data() + kIdxHeader + i * kIdxEntry;
    memcpy(e, &pack_entries_[i].first.lo, 8);
    memcpy(e + 8, &pack_entries_[i].first.hi, 8);
    memcpy(e + 16, &pack_entries_[i].second, 8);
  }
  uint32_t crc = crc32(idx.data(), idx.size() - 4);
  memcpy(idx.data() + idx.size() - 4, &crc, 4);
  write_file_atomically(dir_ / ("pack-" + std::to_string(pack_) + ".idx"), idx);
  pack_entries_.clear();
  return pack_;
}

void PageStore::abort() {
  if (pack_fd_ < 0) return;
  ::close(pack_fd_);
  pack_fd_ = -1;
  ::unlink(pack_path(pack_).c_str());
  for (const auto& [h, off] : pack_entries_) index_.erase(h);
  pack_entries_.clear();
  buf_.clear();
}

int PageStore::pack_fd_for_read(uint32_t pack) const {
  auto it = read_fds_.find(pack);
  if (it != read_fds_.end()) return it->second;
  fs::path p = pack_path(pack);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw TraceError(errno_text("checkpoint pages " + p.string(), errno));
  read_fds_[pack] = fd;
  return fd;
}

void PageStore::read_pages(const PageRef& first, size_t n, void* out) const {
  if (first.zero()) {
    memset(out, 0, n * kPageSize);
    return;
  }
  int fd = pack_fd_for_read(first.pack);
  ssize_t got = pread_all(fd, out, n * kPageSize, static_cast<off_t>(first.offset));
  if (got != static_cast<ssize_t>(n * kPageSize))
    throw TraceError("checkpoint pages " + pack_path(first.pack).string() + " are truncated");
}

const PageStore::Checked& PageStore::checked(uint32_t pack) const {
  auto it = checked_.find(pack);
  if (it != checked_.end()) return it->second;
  PackIndex idx = read_index(pack);
  Checked c;
  c.version = idx.version;
  const std::string dat = pack_path(pack).string();
  for (const auto& [h, off] : idx.entries) {
    if (off % kPageSize || off / kPageSize >= (uint64_t{1} << 32))
      throw TraceError("checkpoint page index of " + dat + " is corrupt (bad offset)");
    const size_t page = off / kPageSize;
    if (page >= c.hash.size()) {
      c.hash.resize(page + 1);
      c.state.resize(page + 1, 0);
    }
    c.hash[page] = h;
    c.state[page] = 1;
  }
  int fd = ::open(dat.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw TraceError(errno_text("checkpoint pages " + dat, errno));
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      ::madvise(p, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
      c.data = static_cast<const uint8_t*>(p);
      c.size = static_cast<size_t>(st.st_size);
    }
  }
  ::close(fd);
  return checked_.emplace(pack, std::move(c)).first->second;
}

void PageStore::verify(const PageRef& first, size_t n) const {
  verify_all({{first, n}});
}

void PageStore::verify_all(const std::vector<std::pair<PageRef, size_t>>& runs) const {
  // What to hash: ranges of pages not checked yet, each page once (runs may share pages).
  struct Range {
    uint32_t pack;
    Checked* c;
    size_t begin, end;
  };
  std::vector<Range> todo;
  size_t total = 0;
  for (const auto& [first, n] : runs) {
    if (first.zero() || n == 0) continue;
    Checked& c = const_cast<Checked&>(checked(first.pack));
    const std::string dat = pack_path(first.pack).string();
    if (first.offset % kPageSize) throw TraceError(dat + ": a checkpoint names an unaligned page");
    const size_t begin = first.offset / kPageSize;
    for (size_t i = begin; i < begin + n; ++i) {
      if (i >= c.state.size() || c.state[i] == 0)
        throw TraceError(dat + ": no page at offset " + std::to_string(i * kPageSize) +
                         " in its index (corrupt checkpoint)");
      if ((i + 1) * kPageSize > c.size)
        throw TraceError(dat + " is truncated (" + std::to_string(c.size) + " bytes)");
      if (c.state[i] != 1) continue;
      c.state[i] = 3;
      ++total;
      if (!todo.empty() && todo.back().c == &c && todo.back().end == i)
        ++todo.back().end;
      else
        todo.push_back(Range{first.pack, &c, i, i + 1});
    }
  }
  // Hash on up to 4 threads, each a contiguous share of the pages; the first bad page of each
  // share is reported.
  const size_t threads =
      std::clamp<size_t>(std::min<size_t>(std::thread::hardware_concurrency(), total / 4096), 1, 4);
  std::vector<std::pair<uint32_t, size_t>> bad(threads, {0, SIZE_MAX});
  auto work = [&](size_t k) {
    const size_t from = total * k / threads, to = total * (k + 1) / threads;
    size_t at = 0;
    for (const Range& r : todo) {
      const size_t len = r.end - r.begin;
      if (at + len <= from) {
        at += len;
        continue;
      }
      if (at >= to) break;
      const size_t b = r.begin + (from > at ? from - at : 0);
      const size_t e = r.begin + std::min(len, to - at);
      for (size_t i = b; i < e; ++i)
        if (!(hash_page_version(r.c->data + i * kPageSize, r.c->version) == r.c->hash[i])) {
          bad[k] = {r.pack, i};
          return;
        }
      at += len;
    }
  };
  std::vector<std::thread> pool;
  for (size_t k = 1; k < threads; ++k) pool.emplace_back(work, k);
  work(0);
  for (std::thread& t : pool) t.join();
  for (const auto& [pack, page] : bad)
    if (page != SIZE_MAX) {
      for (const Range& r : todo)  // unchecked again: a later call reports it again
        for (size_t i = r.begin; i < r.end; ++i) r.c->state[i] = 1;
      throw TraceError(pack_path(pack).string() + ": the page at offset " +
                       std::to_string(page * kPageSize) +
                       " does not match its hash (corrupt pack)");
    }
  for (const Range& r : todo)
    for (size_t i = r.begin; i < r.end; ++i) r.c->state[i] = 2;
}

void PageStore::read_page(const PageRef& ref, void* out) const {
  read_pages(ref, 1, out);
}

}  // namespace ckrr
