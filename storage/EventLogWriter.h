#pragma once
// events.log writer: append-only, framed, zstd-compressed chunks. The recorder's hot path only
// encodes into the open chunk; a background thread compresses, writes and indexes sealed chunks,
// so a SIGKILLed recorder leaves a log readable up to its last complete chunk.
//
// Chunk frame (little-endian):
//   u32 magic 'CKC1' | u32 compressed_len | u32 raw_len | u32 event_count | u64 first_seq
//   | u32 crc32(compressed bytes) | u32 crc32(the 28 header bytes before it) | compressed bytes
// The file starts with an 8-byte header: "CKRRLOG" + format version byte (1).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/Event.h"
#include "storage/TimelineIndex.h"

namespace ckrr {

class EventLogWriter {
 public:
  // Creates the log (mode 0600). index may be null; when set, every written chunk's events are
  // added to it (EventRow with chunk_offset/chunk_index) from the background thread.
  // chunk_bytes: raw size at which a chunk is sealed.
  EventLogWriter(const std::filesystem::path& file, TimelineIndex* index,
                 size_t chunk_bytes = 256 * 1024);
  ~EventLogWriter();  // close()

  // Hot path. summary is the short text stored in the index row.
  void append(const Event& e, std::string summary);
  // Seals the open chunk and waits until everything appended so far is on disk and indexed.
  void flush();
  // flush() then stops the thread. Idempotent.
  void close();

  // Set once a write failed (ENOSPC, EIO...): appends are then dropped. Checked by the recorder
  // after each event so it can stop the app cleanly and say how far the trace goes.
  bool failed() const;
  std::string error() const;
  uint64_t bytes_written() const;  // compressed bytes in the file so far

 private:
  struct Pending;
  void seal_locked();
  void run();
  // ... implementation-defined members
  std::filesystem::path path_;
  TimelineIndex* index_;
  size_t chunk_bytes_;
  int fd_ = -1;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::vector<uint8_t> open_raw_;
  std::vector<EventRow> open_rows_;
  uint64_t open_first_seq_ = 0;
  std::deque<Pending*> queue_;
  bool stop_ = false;
  bool closed_ = false;
  bool failed_ = false;
  std::string error_;
  uint64_t sealed_ = 0, written_ = 0;
  uint64_t bytes_written_ = 0;
  std::thread thread_;
};

}  // namespace ckrr
