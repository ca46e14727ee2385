// timeline.db on SQLite. One connection, opened FULLMUTEX because the event log writer's thread
// adds events while the recorder's thread adds threads, files and checkpoints. SQLite serializes
// single calls; Impl::mu additionally keeps each write transaction whole, since a statement from
// another thread would otherwise join (and share the fate of) an open transaction.
#include "storage/TimelineIndex.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

#include "core/Error.h"

namespace ckrr {

namespace {

// 2: events rows no longer hold a summary text (the decoder renders events from the log).
// Version 1 indexes are still read (their summary column is ignored).
constexpr const char* kSchemaVersion = "2";

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE events(seq INTEGER PRIMARY KEY, tid INTEGER, kind INTEGER, name TEXT,
                    result INTEGER, time_ns INTEGER, chunk_offset INTEGER, chunk_index INTEGER);
CREATE TABLE threads(tid INTEGER PRIMARY KEY, pid INTEGER, name TEXT, first_seq INTEGER,
                     last_seq INTEGER);
CREATE TABLE mapped_files(id INTEGER PRIMARY KEY, path TEXT, stored TEXT, size INTEGER,
                          first_seq INTEGER);
CREATE TABLE checkpoints(id INTEGER PRIMARY KEY, seq INTEGER, time_ns INTEGER, rss INTEGER,
                         bytes_added INTEGER, path TEXT);
CREATE TABLE bookmarks(id INTEGER PRIMARY KEY, seq INTEGER, note TEXT);
CREATE TABLE seeks(id INTEGER PRIMARY KEY, seq INTEGER, at TEXT);
)sql";

constexpr const char* kEventColumns =
    "SELECT seq, tid, kind, name, result, time_ns, chunk_offset, chunk_index FROM events";

// Owns a prepared statement for the duration of one call.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql, const std::filesystem::path& path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK) {
      std::string msg = sqlite3_errmsg(db);
      sqlite3_finalize(s_);
      throw TraceError(path.string() + ": " + msg);
    }
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return s_; }
  operator sqlite3_stmt*() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s, i)))
           : std::string();
}

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
}

// SQLite integers are signed 64-bit; sequence numbers and sizes never get near 2^63.
void bind_u64(sqlite3_stmt* s, int i, uint64_t v) {
  sqlite3_bind_int64(s, i, int64_t(v));
}

EventRow read_event_row(sqlite3_stmt* s) {
  EventRow r;
  r.seq = uint64_t(sqlite3_column_int64(s, 0));
  r.tid = int32_t(sqlite3_column_int64(s, 1));
  r.kind = EventKind(sqlite3_column_int(s, 2));
  r.name = column_text(s, 3);
  r.result = sqlite3_column_int64(s, 4);
  r.time_ns = uint64_t(sqlite3_column_int64(s, 5));
  r.chunk_offset = uint64_t(sqlite3_column_int64(s, 6));
  r.chunk_index = uint32_t(sqlite3_column_int64(s, 7));
  return r;
}

}  // namespace

struct TimelineIndex::Impl {
  std::mutex mu;
  sqlite3_stmt* insert_event = nullptr;  // cached: the only statement on a hot-ish path
  ~Impl() { sqlite3_finalize(insert_event); }
};

TimelineIndex::TimelineIndex(sqlite3* db, std::filesystem::path path)
    : db_(db), path_(std::move(path)), impl_(std::make_unique<Impl>()) {}

TimelineIndex::~TimelineIndex() {
  impl_.reset();  // finalize statements before closing the connection
  sqlite3_close_v2(db_);
}

void TimelineIndex::fail(const std::string& what) const {
  throw TraceError(path_.string() + ": " + what + ": " + sqlite3_errmsg(db_));
}

void TimelineIndex::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw TraceError(path_.string() + ": " + msg);
  }
}

namespace {

// Runs fn inside BEGIN IMMEDIATE ... COMMIT under the write lock; rolls back if fn throws.
template <typename Fn>
void in_transaction(std::mutex& mu, sqlite3* db, const std::filesystem::path& path, Fn&& fn) {
  std::lock_guard lock(mu);
  auto run = [&](const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
      throw TraceError(path.string() + ": " + sql + ": " + sqlite3_errmsg(db));
  };
  run("BEGIN IMMEDIATE");
  try {
    fn();
    run("COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

sqlite3* open_connection(const std::filesystem::path& db, int flags) {
  sqlite3* h = nullptr;
  int rc = sqlite3_open_v2(db.c_str(), &h, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = h ? sqlite3_errmsg(h) : sqlite3_errstr(rc);
    sqlite3_close_v2(h);
    throw TraceError(db.string() + ": " + msg);
  }
  sqlite3_busy_timeout(h, 5000);
  sqlite3_extended_result_codes(h, 1);
  return h;
}

}  // namespace

std::unique_ptr<TimelineIndex> TimelineIndex::create(const std::filesystem::path& db) {
  // Create the file ourselves so its mode is 0600 whatever the umask; SQLite gives the -wal and
  // -shm files the mode of the database file.
  int fd = ::open(db.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw TraceError(errno_text(db.string(), errno));
  int rc = ::fchmod(fd, 0600);
  int err = errno;
  ::close(fd);
  if (rc != 0) throw TraceError(errno_text(db.string() + ": chmod", err));

  std::unique_ptr<TimelineIndex> idx(
      new TimelineIndex(open_connection(db, SQLITE_OPEN_READWRITE), db));
  idx->exec("PRAGMA journal_mode=WAL");
  idx->exec("PRAGMA synchronous=NORMAL");
  in_transaction(idx->impl_->mu, idx->db_, db, [&] { idx->exec(kSchema); });
  idx->set_meta("schema_version", kSchemaVersion);
  return idx;
}

std::unique_ptr<TimelineIndex> TimelineIndex::open(const std::filesystem::path& db,
                                                   bool read_only) {
  struct stat st;
  if (::stat(db.c_str(), &st) != 0) throw TraceError(errno_text(db.string(), errno));
  if (!S_ISREG(st.st_mode)) throw TraceError(db.string() + ": not a regular file");
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  std::unique_ptr<TimelineIndex> idx(new TimelineIndex(open_connection(db, flags), db));
  // SQLite reads the file lazily: this first query is what detects a non-database file.
  std::string version;
  {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(idx->db_, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &s,
                           nullptr) != SQLITE_OK) {
      std::string msg = sqlite3_errmsg(idx->db_);
      sqlite3_finalize(s);
      throw TraceError(db.string() + ": not a ckrr timeline index (" + msg + ")");
    }
    if (sqlite3_step(s) == SQLITE_ROW) version = column_text(s, 0);
    sqlite3_finalize(s);
  }
  if (version.empty()) throw TraceError(db.string() + ": not a ckrr timeline index (no version)");
  if (version != kSchemaVersion && version != "1") {
    throw TraceError(db.string() + ": timeline index schema version " + version +
                     ", this ckrr reads version " + kSchemaVersion);
  }
  if (!read_only) idx->exec("PRAGMA synchronous=NORMAL");
  return idx;
}

void TimelineIndex::add_events(std::span<const EventRow> rows) {
  if (rows.empty()) return;
  in_transaction(impl_->mu, db_, path_, [&] {
    sqlite3_stmt*& s = impl_->insert_event;
    if (!s && sqlite3_prepare_v2(db_,
                                 "INSERT INTO events(seq, tid, kind, name, result, time_ns, "
                                 "chunk_offset, chunk_index) VALUES(?,?,?,?,?,?,?,?)",
                                 -1, &s, nullptr) != SQLITE_OK) {
      fail("prepare");
    }
    for (const EventRow& r : rows) {
      sqlite3_reset(s);
      bind_u64(s, 1, r.seq);
      sqlite3_bind_int64(s, 2, r.tid);
      sqlite3_bind_int(s, 3, int(r.kind));
      bind_text(s, 4, r.name);
      sqlite3_bind_int64(s, 5, r.result);
      bind_u64(s, 6, r.time_ns);
      bind_u64(s, 7, r.chunk_offset);
      sqlite3_bind_int64(s, 8, r.chunk_index);
      if (sqlite3_step(s) != SQLITE_DONE) {
        std::string seq = std::to_string(r.seq);
        sqlite3_reset(s);
        fail("adding event " + seq);
      }
    }
    sqlite3_reset(s);
  });
}

void TimelineIndex::add_thread(const ThreadRow& t) {
  in_transaction(impl_->mu, db_, path_, [&] {
    Stmt s(db_,
           "INSERT OR REPLACE INTO threads(tid, pid, name, first_seq, last_seq) "
           "VALUES(?,?,?,?,?)",
           path_);
    sqlite3_bind_int64(s, 1, t.tid);
    sqlite3_bind_int64(s, 2, t.pid);
    bind_text(s, 3, t.name);
    bind_u64(s, 4, t.first_seq);
    bind_u64(s, 5, t.last_seq);
    if (sqlite3_step(s) != SQLITE_DONE) fail("adding thread");
  });
}

void TimelineIndex::add_mapped_file(const MappedFileRow& f) {
  in_transaction(impl_->mu, db_, path_, [&] {
    Stmt s(db_, "INSERT INTO mapped_files(path, stored, size, first_seq) VALUES(?,?,?,?)", path_);
    bind_text(s, 1, f.path);
    bind_text(s, 2, f.stored);
    bind_u64(s, 3, f.size);
    bind_u64(s, 4, f.first_seq);
    if (sqlite3_step(s) != SQLITE_DONE) fail("adding mapped file");
  });
}

int64_t TimelineIndex::add_checkpoint(const CheckpointRow& c) {
  int64_t id = 0;
  in_transaction(impl_->mu, db_, path_, [&] {
    Stmt s(db_, "INSERT INTO checkpoints(seq, time_ns, rss, bytes_added, path) VALUES(?,?,?,?,?)",
           path_);
    bind_u64(s, 1, c.seq);
    bind_u64(s, 2, c.time_ns);
    bind_u64(s, 3, c.rss);
    bind_u64(s, 4, c.bytes_added);
    bind_text(s, 5, c.path);
    if (sqlite3_step(s) != SQLITE_DONE) fail("adding checkpoint");
    id = sqlite3_last_insert_rowid(db_);
  });
  return id;
}

int64_t TimelineIndex::add_bookmark(uint64_t seq, const std::string& note) {
  int64_t id = 0;
  in_transaction(impl_->mu, db_, path_, [&] {
    Stmt s(db_, "INSERT INTO bookmarks(seq, note) VALUES(?,?)", path_);
    bind_u64(s, 1, seq);
    bind_text(s, 2, note);
    if (sqlite3_step(s) != SQLITE_DONE) fail("adding bookmark");
    id = sqlite3_last_insert_rowid(db_);
  });
  return id;
}

void TimelineIndex::remove_bookmark(int64_t id) {
  in_transaction(impl_->mu, db_, path_, [&] {
    Stmt s(db_, "DELETE FROM bookmarks WHERE id = ?", path_);
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_DONE) fail("removing bookmark");
  });
}

void TimelineIndex::set_meta(const std::string& key, const std::string& value) {
  in_transaction(impl_->mu, db_, path_, [&] {
    Stmt s(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?,?)", path_);
    bind_text(s, 1, key);
    bind_text(s, 2, value);
    if (sqlite3_step(s) != SQLITE_DONE) fail("setting " + key);
  });
}

void TimelineIndex::finalize() {
  in_transaction(impl_->mu, db_, path_, [&] {
    exec(
        "CREATE INDEX IF NOT EXISTS events_kind ON events(kind);"
        "CREATE INDEX IF NOT EXISTS events_tid ON events(tid);"
        "CREATE INDEX IF NOT EXISTS events_name ON events(name);"
        "INSERT OR REPLACE INTO meta(key, value) VALUES('complete', '1');");
  });
}

void TimelineIndex::log_seek(uint64_t seq) {
  in_transaction(impl_->mu, db_, path_, [&] {
    Stmt s(db_, "INSERT INTO seeks(seq, at) VALUES(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
           path_);
    bind_u64(s, 1, seq);
    if (sqlite3_step(s) != SQLITE_DONE) fail("logging seek");
  });
}

std::optional<std::string> TimelineIndex::meta(const std::string& key) const {
  Stmt s(db_, "SELECT value FROM meta WHERE key = ?", path_);
  bind_text(s, 1, key);
  if (sqlite3_step(s) == SQLITE_ROW) return column_text(s, 0);
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> TimelineIndex::all_meta() const {
  Stmt s(db_, "SELECT key, value FROM meta ORDER BY key", path_);
  std::vector<std::pair<std::string, std::string>> out;
  while (sqlite3_step(s) == SQLITE_ROW) out.emplace_back(column_text(s, 0), column_text(s, 1));
  return out;
}

uint64_t TimelineIndex::event_count() const {
  Stmt s(db_, "SELECT count(*) FROM events", path_);
  return sqlite3_step(s) == SQLITE_ROW ? uint64_t(sqlite3_column_int64(s, 0)) : 0;
}

std::optional<EventRow> TimelineIndex::event(uint64_t seq) const {
  Stmt s(db_, std::string(kEventColumns) + " WHERE seq = ?", path_);
  bind_u64(s, 1, seq);
  if (sqlite3_step(s) == SQLITE_ROW) return read_event_row(s);
  return std::nullopt;
}

void TimelineIndex::for_each_event(const EventQuery& q,
                                   const std::function<bool(const EventRow&)>& fn) const {
  constexpr uint64_t kMax = uint64_t(INT64_MAX);
  if (q.from > kMax || q.from > q.to || q.limit == 0) return;
  // Only fixed SQL fragments are concatenated; every value is bound.
  std::string sql = std::string(kEventColumns) + " WHERE seq >= :from AND seq <= :to";
  if (q.kind) sql += " AND kind = :kind";
  if (q.tid) sql += " AND tid = :tid";
  if (q.name) sql += " AND name = :name";
  if (q.errors_only) sql += " AND kind = 1 AND result >= -4095 AND result < 0";
  sql += " ORDER BY seq LIMIT :limit";
  Stmt s(db_, sql, path_);
  auto idx = [&](const char* name) { return sqlite3_bind_parameter_index(s, name); };
  bind_u64(s, idx(":from"), q.from);
  bind_u64(s, idx(":to"), std::min(q.to, kMax));
  if (q.kind) sqlite3_bind_int(s, idx(":kind"), int(*q.kind));
  if (q.tid) sqlite3_bind_int64(s, idx(":tid"), *q.tid);
  if (q.name) bind_text(s, idx(":name"), *q.name);
  sqlite3_bind_int64(s, idx(":limit"), q.limit > kMax ? -1 : int64_t(q.limit));
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (!fn(read_event_row(s))) return;
  }
  if (rc != SQLITE_DONE) fail("reading events");
}

std::vector<EventRow> TimelineIndex::events(const EventQuery& q) const {
  std::vector<EventRow> out;
  for_each_event(q, [&](const EventRow& r) {
    out.push_back(r);
    return true;
  });
  return out;
}

std::vector<ThreadRow> TimelineIndex::threads() const {
  Stmt s(db_, "SELECT tid, pid, name, first_seq, last_seq FROM threads ORDER BY tid", path_);
  std::vector<ThreadRow> out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    ThreadRow t;
    t.tid = int32_t(sqlite3_column_int64(s, 0));
    t.pid = int32_t(sqlite3_column_int64(s, 1));
    t.name = column_text(s, 2);
    t.first_seq = uint64_t(sqlite3_column_int64(s, 3));
    t.last_seq = uint64_t(sqlite3_column_int64(s, 4));
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<MappedFileRow> TimelineIndex::mapped_files() const {
  Stmt s(db_, "SELECT path, stored, size, first_seq FROM mapped_files ORDER BY id", path_);
  std::vector<MappedFileRow> out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    MappedFileRow f;
    f.path = column_text(s, 0);
    f.stored = column_text(s, 1);
    f.size = uint64_t(sqlite3_column_int64(s, 2));
    f.first_seq = uint64_t(sqlite3_column_int64(s, 3));
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<CheckpointRow> TimelineIndex::checkpoints() const {
  Stmt s(db_, "SELECT id, seq, time_ns, rss, bytes_added, path FROM checkpoints ORDER BY seq, id",
         path_);
  std::vector<CheckpointRow> out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    CheckpointRow c;
    c.id = sqlite3_column_int64(s, 0);
    c.seq = uint64_t(sqlite3_column_int64(s, 1));
    c.time_ns = uint64_t(sqlite3_column_int64(s, 2));
    c.rss = uint64_t(sqlite3_column_int64(s, 3));
    c.bytes_added = uint64_t(sqlite3_column_int64(s, 4));
    c.path = column_text(s, 5);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<BookmarkRow> TimelineIndex::bookmarks() const {
  Stmt s(db_, "SELECT id, seq, note FROM bookmarks ORDER BY seq, id", path_);
  std::vector<BookmarkRow> out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    BookmarkRow b;
    b.id = sqlite3_column_int64(s, 0);
    b.seq = uint64_t(sqlite3_column_int64(s, 1));
    b.note = column_text(s, 2);
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<std::pair<uint64_t, std::string>> TimelineIndex::seeks() const {
  Stmt s(db_, "SELECT seq, at FROM seeks ORDER BY id", path_);
  std::vector<std::pair<uint64_t, std::string>> out;
  while (sqlite3_step(s) == SQLITE_ROW)
    out.emplace_back(uint64_t(sqlite3_column_int64(s, 0)), column_text(s, 1));
  return out;
}

}  // namespace ckrr
