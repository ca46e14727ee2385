#include "gui/models/TraceDb.h"

#include <ctime>

#include "core/Error.h"

namespace ckrr::gui {
namespace {

// Finalizes a statement on every path out of a reader.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
      throw TraceError(std::string("timeline.db: ") + sqlite3_errmsg(db) + " in: " + sql);
  }
  ~Stmt() { sqlite3_finalize(s); }
  bool step() { return sqlite3_step(s) == SQLITE_ROW; }
  std::string text(int i) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p ? std::string(p, sqlite3_column_bytes(s, i)) : std::string();
  }
  int64_t i64(int i) const { return sqlite3_column_int64(s, i); }
};

bool tableExists(sqlite3* db, const char* name) {
  Stmt st(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
  sqlite3_bind_text(st.s, 1, name, -1, SQLITE_STATIC);
  return st.step();
}

}  // namespace

TraceDb::TraceDb(const std::filesystem::path& db) : path_(db) {
  if (!std::filesystem::exists(db)) throw TraceError(db.string() + ": no such file");
  // Read-write first: bookmarks and the seek history live in this file.
  int rc = sqlite3_open_v2(db.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
  // SQLite silently opens a write-protected file read-only; ask it rather than trust rc.
  writable_ = rc == SQLITE_OK && sqlite3_db_readonly(db_, "main") == 0;
  if (rc != SQLITE_OK) {
    sqlite3_close(db_);
    db_ = nullptr;
    rc = sqlite3_open_v2(db.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "cannot open";
      sqlite3_close(db_);
      db_ = nullptr;
      throw TraceError(db.string() + ": " + msg);
    }
  }
  sqlite3_busy_timeout(db_, 2000);  // a recorder may still be writing (WAL)
  try {
    if (!tableExists(db_, "events") || !tableExists(db_, "threads"))
      throw TraceError(db.string() + ": not a ckrr timeline index (no events/threads table)");
    if (writable_) {
      // Older indexes may predate these tables; the GUI is their only writer.
      exec("CREATE TABLE IF NOT EXISTS bookmarks(id INTEGER PRIMARY KEY, seq INTEGER, note TEXT)");
      exec("CREATE TABLE IF NOT EXISTS seeks(id INTEGER PRIMARY KEY, seq INTEGER, at TEXT)");
    }
    if (sqlite3_prepare_v2(db_,
                           "SELECT seq, tid, kind, name, result, time_ns, chunk_offset, "
                           "chunk_index FROM events WHERE seq=?",
                           -1, &event_stmt_, nullptr) != SQLITE_OK)
      throw TraceError(db.string() + ": " + sqlite3_errmsg(db_));
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

TraceDb::~TraceDb() {
  sqlite3_finalize(event_stmt_);
  sqlite3_close(db_);
}

void TraceDb::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "error";
    sqlite3_free(err);
    throw TraceError(path_.string() + ": " + msg);
  }
}

void TraceDb::requireWritable(const char* what) const {
  if (!writable_) throw Error(path_.string() + " is read-only: cannot " + what);
}

std::optional<std::string> TraceDb::meta(const std::string& key) const {
  if (!tableExists(db_, "meta")) return std::nullopt;
  Stmt st(db_, "SELECT value FROM meta WHERE key=?");
  sqlite3_bind_text(st.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

std::vector<std::pair<std::string, std::string>> TraceDb::allMeta() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!tableExists(db_, "meta")) return out;
  Stmt st(db_, "SELECT key, value FROM meta ORDER BY key");
  while (st.step()) out.emplace_back(st.text(0), st.text(1));
  return out;
}

std::optional<DbEventRow> TraceDb::event(uint64_t seq) const {
  sqlite3_reset(event_stmt_);
  sqlite3_bind_int64(event_stmt_, 1, static_cast<int64_t>(seq));
  if (sqlite3_step(event_stmt_) != SQLITE_ROW) return std::nullopt;
  auto text = [&](int i) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(event_stmt_, i));
    return p ? std::string(p, sqlite3_column_bytes(event_stmt_, i)) : std::string();
  };
  DbEventRow r;
  r.seq = sqlite3_column_int64(event_stmt_, 0);
  r.tid = sqlite3_column_int(event_stmt_, 1);
  r.kind = sqlite3_column_int(event_stmt_, 2);
  r.name = text(3);
  r.result = sqlite3_column_int64(event_stmt_, 4);
  r.time_ns = sqlite3_column_int64(event_stmt_, 5);
  r.chunk_offset = sqlite3_column_int64(event_stmt_, 6);
  r.chunk_index = sqlite3_column_int(event_stmt_, 7);
  sqlite3_reset(event_stmt_);
  return r;
}

std::vector<DbThread> TraceDb::threads() const {
  std::vector<DbThread> out;
  Stmt st(db_, "SELECT tid, pid, name, first_seq, last_seq FROM threads ORDER BY pid, tid");
  while (st.step())
    out.push_back({static_cast<int32_t>(st.i64(0)), static_cast<int32_t>(st.i64(1)), st.text(2),
                   static_cast<uint64_t>(st.i64(3)), static_cast<uint64_t>(st.i64(4))});
  return out;
}

std::vector<DbCheckpoint> TraceDb::checkpoints() const {
  std::vector<DbCheckpoint> out;
  if (!tableExists(db_, "checkpoints")) return out;
  Stmt st(db_, "SELECT id, seq, time_ns, rss FROM checkpoints ORDER BY seq");
  while (st.step())
    out.push_back({st.i64(0), static_cast<uint64_t>(st.i64(1)), static_cast<uint64_t>(st.i64(2)),
                   static_cast<uint64_t>(st.i64(3))});
  return out;
}

std::vector<DbMappedFile> TraceDb::mappedFiles() const {
  std::vector<DbMappedFile> out;
  if (!tableExists(db_, "mapped_files")) return out;
  Stmt st(db_, "SELECT path, stored, size, first_seq FROM mapped_files ORDER BY first_seq");
  while (st.step())
    out.push_back({st.text(0), st.text(1), static_cast<uint64_t>(st.i64(2)),
                   static_cast<uint64_t>(st.i64(3))});
  return out;
}

std::vector<DbBookmark> TraceDb::bookmarks() const {
  std::vector<DbBookmark> out;
  if (!tableExists(db_, "bookmarks")) return out;
  Stmt st(db_, "SELECT id, seq, note FROM bookmarks ORDER BY seq, id");
  while (st.step()) out.push_back({st.i64(0), static_cast<uint64_t>(st.i64(1)), st.text(2)});
  return out;
}

int64_t TraceDb::addBookmark(uint64_t seq, const std::string& note) {
  requireWritable("add a bookmark");
  Stmt st(db_, "INSERT INTO bookmarks(seq, note) VALUES(?, ?)");
  sqlite3_bind_int64(st.s, 1, static_cast<int64_t>(seq));
  sqlite3_bind_text(st.s, 2, note.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE) throw Error(path_.string() + ": " + sqlite3_errmsg(db_));
  return sqlite3_last_insert_rowid(db_);
}

void TraceDb::setBookmarkNote(int64_t id, const std::string& note) {
  requireWritable("edit a bookmark");
  Stmt st(db_, "UPDATE bookmarks SET note=? WHERE id=?");
  sqlite3_bind_text(st.s, 1, note.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 2, id);
  if (sqlite3_step(st.s) != SQLITE_DONE) throw Error(path_.string() + ": " + sqlite3_errmsg(db_));
}

void TraceDb::removeBookmark(int64_t id) {
  requireWritable("remove a bookmark");
  Stmt st(db_, "DELETE FROM bookmarks WHERE id=?");
  sqlite3_bind_int64(st.s, 1, id);
  if (sqlite3_step(st.s) != SQLITE_DONE) throw Error(path_.string() + ": " + sqlite3_errmsg(db_));
}

std::vector<DbSeek> TraceDb::seeks() const {
  std::vector<DbSeek> out;
  if (!tableExists(db_, "seeks")) return out;
  Stmt st(db_, "SELECT id, seq, at FROM seeks ORDER BY id");
  while (st.step()) out.push_back({st.i64(0), static_cast<uint64_t>(st.i64(1)), st.text(2)});
  return out;
}

int64_t TraceDb::logSeek(uint64_t seq) {
  requireWritable("log a seek");
  char at[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S", &tm);
  Stmt st(db_, "INSERT INTO seeks(seq, at) VALUES(?, ?)");
  sqlite3_bind_int64(st.s, 1, static_cast<int64_t>(seq));
  sqlite3_bind_text(st.s, 2, at, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE) throw Error(path_.string() + ": " + sqlite3_errmsg(db_));
  return sqlite3_last_insert_rowid(db_);
}

}  // namespace ckrr::gui
