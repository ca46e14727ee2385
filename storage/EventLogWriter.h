#pragma once
// events.log writer: append-only, framed, zstd-compressed chunks. The recorder's hot path only
// encodes into the open chunk; a background thread compresses, writes and indexes sealed chunks,
// so a SIGKILLed recorder leaves a log readable up to its last complete chunk.
//
// Chunk frame (little-endian):
//   u32 magic 'CKC1' | u32 compressed_len | u32 raw_len | u32 event_count | u64 first_seq
//   | u32 crc32(compressed bytes) | u32 crc32(the 28 header bytes before it) | compressed bytes
// The file starts with an 8-byte header: "CKRRLOG" + format version byte (1).
#include <chrono>
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
  // chunk_bytes: raw size at which a chunk is sealed. Throws Error when the file cannot be
  // created or another writer (of this or another process) has it open.
  EventLogWriter(const std::filesystem::path& file, TimelineIndex* index,
                 size_t chunk_bytes = 256 * 1024);
  ~EventLogWriter();  // close()

  // Hot path. The index row holds what locates and filters the event; text is rendered from
  // the log by the decoder when someone looks.
  void append(const Event& e);
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
  struct Pending;  // a sealed chunk waiting for the background thread
  void seal_locked();
  void run();
  // Compresses and writes one chunk and indexes its rows; returns an error message or "".
  std::string write_chunk(Pending& p, void* zstd_ctx);
  void set_failed_locked(std::string msg);

  std::filesystem::path path_;
  TimelineIndex* index_;
  size_t chunk_bytes_;
  int fd_ = -1;
  uint64_t offset_ = 0;  // where the next chunk goes; touched only by the background thread

  mutable std::mutex mu_;
  std::condition_variable cv_;       // wakes the background thread
  std::condition_variable done_cv_;  // a chunk was written, or the queue has room again
  std::vector<uint8_t> open_raw_;
  std::vector<EventRow> open_rows_;
  uint64_t open_first_seq_ = 0;
  std::chrono::steady_clock::time_point open_since_;
  static constexpr std::chrono::milliseconds kMaxChunkAge{250};
  std::deque<Pending*> queue_;
  bool stop_ = false;
  bool closed_ = false;
  bool failed_ = false;
  std::string error_;
  uint64_t sealed_ = 0, written_ = 0;  // chunks handed to / finished by the thread
  uint64_t bytes_written_ = 0;
  std::thread thread_;
};

}  // namespace ckrr
