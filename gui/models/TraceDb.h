#pragma once
// The GUI's connection to TRACE/timeline.db. The bulk column load and the small per-row lookups
// (hover, table rows) go through raw sqlite3 for speed; bookmarks and the seek history are written
// here too because the GUI is their only writer (the `seeks` table has no TimelineIndex API).
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ckrr::gui {

struct DbEventRow {
  uint64_t seq = 0;
  int32_t tid = 0;
  int kind = 0;
  std::string name;
  int64_t result = 0;
  uint64_t time_ns = 0;
  uint64_t chunk_offset = 0;
  uint32_t chunk_index = 0;
};

struct DbThread {
  int32_t tid = 0;
  int32_t pid = 0;
  std::string name;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
};

struct DbCheckpoint {
  int64_t id = 0;
  uint64_t seq = 0;
  uint64_t time_ns = 0;
  uint64_t rss = 0;
};

struct DbBookmark {
  int64_t id = 0;
  uint64_t seq = 0;
  std::string note;
};

struct DbSeek {
  int64_t id = 0;
  uint64_t seq = 0;
  std::string at;  // local time, ISO 8601
};

struct DbMappedFile {
  std::string path;
  std::string stored;
  uint64_t size = 0;
  uint64_t first_seq = 0;
};

class TraceDb {
 public:
  // Opens TRACE/timeline.db read-write (bookmarks, seeks) or, when that is refused, read-only.
  // Throws ckrr::TraceError naming the file when it is missing or not a ckrr index.
  explicit TraceDb(const std::filesystem::path& db);
  ~TraceDb();
  TraceDb(const TraceDb&) = delete;
  TraceDb& operator=(const TraceDb&) = delete;

  sqlite3* handle() const { return db_; }
  bool writable() const { return writable_; }
  const std::filesystem::path& path() const { return path_; }

  std::optional<std::string> meta(const std::string& key) const;
  std::vector<std::pair<std::string, std::string>> allMeta() const;
  std::optional<DbEventRow> event(uint64_t seq) const;
  std::vector<DbThread> threads() const;
  std::vector<DbCheckpoint> checkpoints() const;
  std::vector<DbMappedFile> mappedFiles() const;

  std::vector<DbBookmark> bookmarks() const;
  int64_t addBookmark(uint64_t seq, const std::string& note);
  void setBookmarkNote(int64_t id, const std::string& note);
  void removeBookmark(int64_t id);

  std::vector<DbSeek> seeks() const;
  int64_t logSeek(uint64_t seq);

 private:
  void exec(const char* sql);
  void requireWritable(const char* what) const;
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  bool writable_ = false;
  sqlite3_stmt* event_stmt_ = nullptr;  // prepared once: hover and table rows call it often
};

}  // namespace ckrr::gui
