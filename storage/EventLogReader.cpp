// events.log reader. Every length read from the file is checked against the file size and a
// fixed cap before it is used, so a corrupt log gives an error, never a crash or a huge buffer.
#include "storage/EventLogReader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cstring>

#include "core/Error.h"
#include "storage/ChunkFormat.h"
#include "storage/Crc32.h"
#include "storage/FdIo.h"

namespace ckrr {

EventLogReader::EventLogReader(const std::filesystem::path& file) : path_(file) {
  fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw TraceError(errno_text(path_.string(), errno));
  uint8_t header[chunk::kFileHeaderSize];
  ssize_t n = pread_all(fd_, header, sizeof header, 0);
  struct stat st;
  if (n < 0 || ::fstat(fd_, &st) != 0) {
    int err = errno;
    ::close(fd_);
    throw TraceError(errno_text(path_.string(), err));
  }
  if (size_t(n) < sizeof header || std::memcmp(header, chunk::kFileMagic, 7) != 0) {
    ::close(fd_);
    throw TraceError(path_.string() + ": not a ckrr event log");
  }
  if (header[7] != chunk::kFileVersion) {
    ::close(fd_);
    throw TraceError(path_.string() + ": event log format version " + std::to_string(header[7]) +
                     ", this ckrr reads version " + std::to_string(chunk::kFileVersion));
  }
  file_size_ = uint64_t(st.st_size);
  next_chunk_ = chunk::kFileHeaderSize;
}

EventLogReader::~EventLogReader() {
  if (fd_ >= 0) ::close(fd_);
}

void EventLogReader::corrupt(uint64_t offset, const std::string& why) const {
  throw TraceError(path_.string() + ": corrupt chunk at offset " + std::to_string(offset) + ": " +
                   why);
}

EventLogReader::HeaderStatus EventLogReader::read_header(uint64_t offset, ChunkHeader& h) {
  // The log may still be growing (a live recording): look again before calling it the end.
  if (offset + chunk::kHeaderSize > file_size_) {
    struct stat st;
    if (::fstat(fd_, &st) == 0) file_size_ = uint64_t(st.st_size);
  }
  if (offset >= file_size_) return HeaderStatus::End;
  uint8_t b[chunk::kHeaderSize];
  ssize_t n = pread_all(fd_, b, sizeof b, off_t(offset));
  if (n < 0) throw TraceError(errno_text(path_.string() + ": read", errno));
  if (size_t(n) < sizeof b) return HeaderStatus::Torn;
  if (chunk::get_u32(b + chunk::kOffMagic) != chunk::kMagic) {
    // After a machine crash the file can end in zeros where the last write never landed.
    bool all_zero = true;
    for (uint8_t c : b) all_zero = all_zero && c == 0;
    if (all_zero) return HeaderStatus::Torn;
    corrupt(offset, "bad magic");
  }
  if (crc32(b, chunk::kOffHeaderCrc) != chunk::get_u32(b + chunk::kOffHeaderCrc))
    corrupt(offset, "header checksum mismatch");
  h.compressed_len = chunk::get_u32(b + chunk::kOffCompressedLen);
  h.raw_len = chunk::get_u32(b + chunk::kOffRawLen);
  h.count = chunk::get_u32(b + chunk::kOffCount);
  h.first_seq = chunk::get_u64(b + chunk::kOffFirstSeq);
  h.data_crc = chunk::get_u32(b + chunk::kOffDataCrc);
  if (h.raw_len > chunk::kMaxRawLen) corrupt(offset, "implausible size");
  if (h.count == 0 || h.count > h.raw_len) corrupt(offset, "implausible event count");
  if (offset + chunk::kHeaderSize + h.compressed_len > file_size_) return HeaderStatus::Torn;
  return HeaderStatus::Ok;
}

bool EventLogReader::load_chunk(uint64_t offset) {
  ChunkHeader h;
  switch (read_header(offset, h)) {
    case HeaderStatus::End:
      return false;
    case HeaderStatus::Torn:
      truncated_ = true;
      return false;
    case HeaderStatus::Ok:
      break;
  }
  loaded_count_ = 0;  // raw_ is about to change
  std::vector<uint8_t> compressed(h.compressed_len);
  ssize_t n =
      pread_all(fd_, compressed.data(), compressed.size(), off_t(offset + chunk::kHeaderSize));
  if (n < 0) throw TraceError(errno_text(path_.string() + ": read", errno));
  if (size_t(n) < compressed.size()) {  // shrank under us
    truncated_ = true;
    return false;
  }
  if (crc32(compressed.data(), compressed.size()) != h.data_crc)
    corrupt(offset, "data checksum mismatch");
  raw_.resize(h.raw_len);
  size_t got = ZSTD_decompress(raw_.data(), raw_.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(got)) corrupt(offset, std::string("zstd: ") + ZSTD_getErrorName(got));
  if (got != h.raw_len) corrupt(offset, "decompressed size mismatch");
  chunk_offset_ = offset;
  next_chunk_ = offset + chunk::kHeaderSize + h.compressed_len;
  pos_ = 0;
  index_ = 0;
  remaining_ = h.count;
  loaded_count_ = h.count;
  return true;
}

bool EventLogReader::next(Event& e) {
  while (remaining_ == 0) {
    if (pos_ != raw_.size()) corrupt(chunk_offset_, "bytes after the last event");
    if (!load_chunk(next_chunk_)) return false;
  }
  size_t used = decode_event(raw_.data() + pos_, raw_.size() - pos_, e);
  if (used == 0) corrupt(chunk_offset_, "undecodable event " + std::to_string(index_));
  pos_ += used;
  ++index_;
  --remaining_;
  return true;
}

void EventLogReader::seek(uint64_t chunk_offset, uint32_t chunk_index) {
  // Lookups of neighbouring events (a table's visible rows) reuse the decompressed chunk.
  if (loaded_count_ && chunk_offset == chunk_offset_) {
    if (chunk_index < index_) {
      pos_ = 0;
      index_ = 0;
      remaining_ = loaded_count_;
    }
  } else if (chunk_offset < chunk::kFileHeaderSize || !load_chunk(chunk_offset)) {
    throw TraceError(path_.string() + ": no complete chunk at offset " +
                     std::to_string(chunk_offset));
  }
  if (chunk_index >= loaded_count_) {
    throw TraceError(path_.string() + ": chunk at offset " + std::to_string(chunk_offset) +
                     " has " + std::to_string(loaded_count_) + " events, not " +
                     std::to_string(chunk_index + 1));
  }
  Event skipped;
  while (index_ < chunk_index) next(skipped);
}

bool EventLogReader::seek_seq(uint64_t seq) {
  // Find the last chunk starting at or before seq. Sequence numbers are dense, so the chunk
  // that covers seq ends the scan early; gaps are still handled by the decode below.
  uint64_t offset = chunk::kFileHeaderSize;
  std::optional<uint64_t> best;
  ChunkHeader h;
  while (read_header(offset, h) == HeaderStatus::Ok) {
    if (h.first_seq > seq) break;
    best = offset;
    if (seq - h.first_seq < h.count) break;
    offset += chunk::kHeaderSize + h.compressed_len;
  }
  if (!best || !load_chunk(*best)) return false;
  Event e;
  while (remaining_ > 0) {
    size_t pos = pos_;
    uint32_t index = index_, remaining = remaining_;
    next(e);
    if (e.seq == seq) {
      pos_ = pos;
      index_ = index;
      remaining_ = remaining;
      return true;
    }
    if (e.seq > seq) break;
  }
  return false;
}

}  // namespace ckrr
