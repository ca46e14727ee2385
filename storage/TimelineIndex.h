#pragma once
// timeline.db: the SQLite index of a trace (WAL). One row per event with the position of its
// payload in events.log, plus threads, mapped files, checkpoints, bookmarks and metadata.
// `ckrr info`, `ckrr events` and the GUI read only this, never the whole log.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/Event.h"

struct sqlite3;

namespace ckrr {

struct EventRow {
  uint64_t seq = 0;
  int32_t tid = 0;
  EventKind kind = EventKind::Syscall;
  std::string name;  // syscall/signal name
  int64_t result = 0;
  uint64_t time_ns = 0;
  uint64_t chunk_offset = 0;  // file offset of the chunk in events.log
  uint32_t chunk_index = 0;   // position of the event inside the chunk
};

struct ThreadRow {
  int32_t tid = 0;
  int32_t pid = 0;
  std::string name;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
};

struct MappedFileRow {
  std::string path;    // path in the recorded world
  std::string stored;  // "files/<sha256>/<name>" inside the trace
  uint64_t size = 0;
  uint64_t first_seq = 0;
};

struct CheckpointRow {
  int64_t id = 0;
  uint64_t seq = 0;  // the checkpoint holds the state right after event `seq`
  uint64_t time_ns = 0;
  uint64_t rss = 0;
  uint64_t bytes_added = 0;
  std::string path;  // relative to the trace directory
};

struct BookmarkRow {
  int64_t id = 0;
  uint64_t seq = 0;
  std::string note;
};

struct EventQuery {
  uint64_t from = 1;         // inclusive
  uint64_t to = UINT64_MAX;  // inclusive
  std::optional<EventKind> kind;
  std::optional<int32_t> tid;
  std::optional<std::string> name;  // exact syscall/signal name
  bool errors_only = false;         // syscalls with -4095 <= result < 0
  uint64_t limit = UINT64_MAX;
};

class TimelineIndex {
 public:
  // Creates a new database (file mode 0600). Throws TraceError.
  static std::unique_ptr<TimelineIndex> create(const std::filesystem::path& db);
  // Opens an existing one. read_only: no writes (info/events/GUI). Throws TraceError naming
  // the file when it is missing or not a ckrr index.
  static std::unique_ptr<TimelineIndex> open(const std::filesystem::path& db, bool read_only);
  ~TimelineIndex();

  // Writers. Thread-safe (one connection, serialized); each call is one transaction.
  void add_events(std::span<const EventRow> rows);
  void add_thread(const ThreadRow& t);  // insert or replace
  void add_mapped_file(const MappedFileRow& f);
  int64_t add_checkpoint(const CheckpointRow& c);  // returns the id
  int64_t add_bookmark(uint64_t seq, const std::string& note);
  void remove_bookmark(int64_t id);
  void set_meta(const std::string& key, const std::string& value);
  // Builds the secondary indexes (by kind, tid, name) and marks the index complete.
  void finalize();

  // Readers.
  std::optional<std::string> meta(const std::string& key) const;
  std::vector<std::pair<std::string, std::string>> all_meta() const;
  uint64_t event_count() const;
  std::optional<EventRow> event(uint64_t seq) const;
  // Calls fn for each matching row in seq order; stops early when fn returns false.
  void for_each_event(const EventQuery& q, const std::function<bool(const EventRow&)>& fn) const;
  std::vector<EventRow> events(const EventQuery& q) const;
  std::vector<ThreadRow> threads() const;
  std::vector<MappedFileRow> mapped_files() const;
  std::vector<CheckpointRow> checkpoints() const;
  std::vector<BookmarkRow> bookmarks() const;

  // Seek log (the GUI records where the user went): seq and UTC time "YYYY-MM-DDTHH:MM:SS.sssZ".
  void log_seek(uint64_t seq);
  std::vector<std::pair<uint64_t, std::string>> seeks() const;

  sqlite3* handle() const { return db_; }  // for bulk readers (GUI)

 private:
  struct Impl;  // cached statements and the write-transaction lock
  TimelineIndex(sqlite3* db, std::filesystem::path path);
  void exec(const char* sql) const;
  [[noreturn]] void fail(const std::string& what) const;
  sqlite3* db_;
  std::filesystem::path path_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckrr
