#pragma once
// Sequential and random access to events.log. Corruption is reported with the file and byte
// offset of the bad chunk; everything before it stays readable.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "storage/Event.h"

namespace ckrr {

class EventLogReader {
 public:
  // Throws TraceError when the file is missing or its header is not a ckrr event log.
  explicit EventLogReader(const std::filesystem::path& file);
  ~EventLogReader();

  // Next event in order. Returns false at the end of the complete chunks. A torn last chunk
  // (crashed recorder: fewer bytes than its header says) ends the log: false, and truncated()
  // becomes true. A chunk with a bad magic/CRC or undecodable contents throws TraceError
  // "<file>: corrupt chunk at offset N: <why>".
  bool next(Event& e);
  bool truncated() const { return truncated_; }

  // Positions the reader so that next() returns the event at (chunk_offset, chunk_index),
  // as stored in EventRow. Throws TraceError if that chunk is unreadable.
  void seek(uint64_t chunk_offset, uint32_t chunk_index);
  // Positions the reader so that next() returns event `seq` (scans chunk headers; use the index
  // for speed when it is there). Returns false if the log has no such event.
  bool seek_seq(uint64_t seq);

 private:
  struct ChunkHeader {
    uint32_t compressed_len = 0, raw_len = 0, count = 0;
    uint64_t first_seq = 0;
    uint32_t data_crc = 0;
  };
  enum class HeaderStatus { Ok, End, Torn };
  HeaderStatus read_header(uint64_t offset, ChunkHeader& h);
  // Loads and decompresses the chunk at offset. false at the end of the log (truncated_ set
  // when the chunk there is torn); throws TraceError when it is corrupt.
  bool load_chunk(uint64_t offset);
  [[noreturn]] void corrupt(uint64_t offset, const std::string& why) const;

  std::filesystem::path path_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  uint64_t next_chunk_ = 0;  // offset of the chunk after the loaded one
  uint64_t chunk_offset_ = 0;
  std::vector<uint8_t> raw_;
  size_t pos_ = 0;
  uint32_t remaining_ = 0;  // events of the loaded chunk not yet returned
  uint32_t index_ = 0;      // position in the chunk of the next event
  uint32_t loaded_count_ = 0;  // events in the chunk held in raw_ (0: none held)
  bool truncated_ = false;
};

}  // namespace ckrr
