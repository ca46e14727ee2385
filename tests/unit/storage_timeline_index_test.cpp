#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "core/Error.h"
#include "storage/TimelineIndex.h"
#include "storage_test_util.h"

namespace ckrr {
namespace {

using test::TempDir;

EventRow row(uint64_t seq, int32_t tid, EventKind kind, const std::string& name, int64_t result) {
  EventRow r;
  r.seq = seq;
  r.tid = tid;
  r.kind = kind;
  r.name = name;
  r.result = result;
  r.time_ns = seq * 1000;
  r.chunk_offset = 8 + (seq / 10) * 100;
  r.chunk_index = uint32_t(seq % 10);
  return r;
}

// 1..30: tid 100 for odd seqs, 200 for even; every 5th is a failing openat; seq 7 is a signal.
std::vector<EventRow> sample_rows() {
  std::vector<EventRow> rows;
  for (uint64_t s = 1; s <= 30; ++s) {
    int32_t tid = s % 2 ? 100 : 200;
    if (s == 7)
      rows.push_back(row(s, tid, EventKind::Signal, "SIGSEGV", 0));
    else if (s % 5 == 0)
      rows.push_back(row(s, tid, EventKind::Syscall, "openat", -2));
    else
      rows.push_back(row(s, tid, EventKind::Syscall, "read", int64_t(s)));
  }
  return rows;
}

std::vector<uint64_t> seqs(const std::vector<EventRow>& rows) {
  std::vector<uint64_t> out;
  for (const auto& r : rows) out.push_back(r.seq);
  return out;
}

TEST(TimelineIndex, CreateAddQueryFinalizeReopen) {
  TempDir tmp;
  auto db = tmp / "timeline.db";
  {
    auto idx = TimelineIndex::create(db);
    EXPECT_EQ(test::mode_of(db), 0600u);
    auto rows = sample_rows();
    idx->add_events(std::span(rows).first(10));
    idx->add_events(std::span(rows).subspan(10));
    EXPECT_EQ(idx->event_count(), 30u);
    // The WAL file inherits the database's private mode.
    EXPECT_EQ(test::mode_of(tmp / "timeline.db-wal"), 0600u);

    auto e = idx->event(15);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->tid, 100);
    EXPECT_EQ(e->kind, EventKind::Syscall);
    EXPECT_EQ(e->name, "openat");
    EXPECT_EQ(e->result, -2);
    EXPECT_EQ(e->time_ns, 15000u);
    EXPECT_EQ(e->chunk_offset, 108u);
    EXPECT_EQ(e->chunk_index, 5u);
    EXPECT_FALSE(idx->event(31).has_value());

    ThreadRow t{100, 100, "app", 1, 29};
    idx->add_thread(t);
    t.last_seq = 30;
    idx->add_thread(t);  // replaces
    idx->add_thread({200, 100, "worker", 2, 30});
    idx->add_mapped_file({"/usr/lib/libc.so.6", "files/abc/libc.so.6", 1234, 3});
    int64_t c1 = idx->add_checkpoint({0, 10, 5000, 4096, 100, "checkpoints/1"});
    int64_t c2 = idx->add_checkpoint({0, 20, 9000, 8192, 50, "checkpoints/2"});
    EXPECT_NE(c1, c2);
    int64_t b1 = idx->add_bookmark(12, "here");
    int64_t b2 = idx->add_bookmark(3, "there");
    idx->remove_bookmark(b1);
    idx->log_seek(17);
    idx->log_seek(4);
    idx->set_meta("program", "/bin/true");
    EXPECT_FALSE(idx->meta("complete").has_value());
    idx->finalize();
    EXPECT_EQ(idx->meta("complete"), "1");

    auto bm = idx->bookmarks();
    ASSERT_EQ(bm.size(), 1u);
    EXPECT_EQ(bm[0].id, b2);
    EXPECT_EQ(bm[0].note, "there");
  }
  auto idx = TimelineIndex::open(db, true);
  EXPECT_EQ(idx->meta("schema_version"), "2");
  EXPECT_EQ(idx->meta("complete"), "1");
  EXPECT_EQ(idx->meta("program"), "/bin/true");
  auto all = idx->all_meta();
  EXPECT_EQ(all.size(), 3u);
  EXPECT_EQ(idx->event_count(), 30u);

  auto threads = idx->threads();
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0].tid, 100);
  EXPECT_EQ(threads[0].last_seq, 30u);
  EXPECT_EQ(threads[1].name, "worker");
  EXPECT_EQ(threads[1].pid, 100);
  auto files = idx->mapped_files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].stored, "files/abc/libc.so.6");
  EXPECT_EQ(files[0].size, 1234u);
  auto cps = idx->checkpoints();
  ASSERT_EQ(cps.size(), 2u);
  EXPECT_EQ(cps[1].seq, 20u);
  EXPECT_EQ(cps[1].rss, 8192u);
  EXPECT_EQ(cps[1].path, "checkpoints/2");
  auto sk = idx->seeks();
  ASSERT_EQ(sk.size(), 2u);
  EXPECT_EQ(sk[0].first, 17u);
  EXPECT_EQ(sk[1].first, 4u);
  EXPECT_EQ(sk[0].second.size(), 24u);  // 2024-01-02T03:04:05.678Z
  EXPECT_EQ(sk[0].second.back(), 'Z');

  // A read-only index refuses writes.
  EXPECT_THROW(idx->add_bookmark(1, "x"), TraceError);

  // finalize() created the secondary indexes.
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(idx->handle(),
                               "SELECT count(*) FROM sqlite_master WHERE type='index' AND "
                               "name IN ('events_kind','events_tid','events_name')",
                               -1, &s, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 3);
  sqlite3_finalize(s);
}

TEST(TimelineIndex, QueryFilters) {
  TempDir tmp;
  auto idx = TimelineIndex::create(tmp / "timeline.db");
  auto rows = sample_rows();
  idx->add_events(rows);

  EventQuery q;
  EXPECT_EQ(idx->events(q).size(), 30u);
  q.from = 5;
  q.to = 8;
  EXPECT_EQ(seqs(idx->events(q)), (std::vector<uint64_t>{5, 6, 7, 8}));

  q = {};
  q.kind = EventKind::Signal;
  EXPECT_EQ(seqs(idx->events(q)), (std::vector<uint64_t>{7}));

  q = {};
  q.tid = 200;
  q.to = 10;
  EXPECT_EQ(seqs(idx->events(q)), (std::vector<uint64_t>{2, 4, 6, 8, 10}));

  q = {};
  q.name = "openat";
  EXPECT_EQ(seqs(idx->events(q)), (std::vector<uint64_t>{5, 10, 15, 20, 25, 30}));
  q.name = "x' OR '1'='1";  // bound, not spliced into the SQL
  EXPECT_TRUE(idx->events(q).empty());

  q = {};
  q.errors_only = true;
  q.tid = 100;
  EXPECT_EQ(seqs(idx->events(q)), (std::vector<uint64_t>{5, 15, 25}));

  q = {};
  q.limit = 3;
  q.from = 28;
  EXPECT_EQ(seqs(idx->events(q)), (std::vector<uint64_t>{28, 29, 30}));
  q.from = 10;
  EXPECT_EQ(seqs(idx->events(q)), (std::vector<uint64_t>{10, 11, 12}));

  q = {};
  q.from = UINT64_MAX;
  EXPECT_TRUE(idx->events(q).empty());

  // for_each_event stops when the callback says so.
  int calls = 0;
  idx->for_each_event({}, [&](const EventRow&) { return ++calls < 4; });
  EXPECT_EQ(calls, 4);
}

TEST(TimelineIndex, DuplicateSeqRollsBackTheWholeBatch) {
  TempDir tmp;
  auto idx = TimelineIndex::create(tmp / "timeline.db");
  std::vector<EventRow> rows = {row(1, 1, EventKind::Syscall, "read", 0)};
  idx->add_events(rows);
  rows = {row(2, 1, EventKind::Syscall, "read", 0), row(1, 1, EventKind::Syscall, "read", 0)};
  EXPECT_THROW(idx->add_events(rows), TraceError);
  EXPECT_EQ(idx->event_count(), 1u);
}

TEST(TimelineIndex, CreateRefusesExistingFile) {
  TempDir tmp;
  test::write_file(tmp / "timeline.db", "x");
  EXPECT_THROW(TimelineIndex::create(tmp / "timeline.db"), TraceError);
}

TEST(TimelineIndex, OpenErrorsNameTheFile) {
  TempDir tmp;
  auto expect_error = [](const std::filesystem::path& p, const std::string& part) {
    try {
      TimelineIndex::open(p, true);
      ADD_FAILURE() << "no error for " << p;
    } catch (const TraceError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
      EXPECT_NE(msg.find(part), std::string::npos) << msg;
    }
  };
  expect_error(tmp / "missing.db", "No such file");
  std::string garbage(8192, 'g');
  test::write_file(tmp / "garbage.db", garbage);
  expect_error(tmp / "garbage.db", "not a ckrr timeline index");

  // A valid SQLite database that is not ours.
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open((tmp / "other.db").c_str(), &h), SQLITE_OK);
  sqlite3_exec(h, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
  sqlite3_close(h);
  expect_error(tmp / "other.db", "not a ckrr timeline index");

  // Ours, from a future version.
  {
    auto idx = TimelineIndex::create(tmp / "future.db");
    idx->set_meta("schema_version", "99");
  }
  expect_error(tmp / "future.db", "schema version 99");
}

// Version 1 indexes (events rows with a summary column) are still read.
TEST(TimelineIndex, ReadsVersion1) {
  TempDir tmp;
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open((tmp / "v1.db").c_str(), &h), SQLITE_OK);
  const char* sql =
      "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
      "CREATE TABLE events(seq INTEGER PRIMARY KEY, tid INTEGER, kind INTEGER, name TEXT,"
      " result INTEGER, time_ns INTEGER, chunk_offset INTEGER, chunk_index INTEGER, summary TEXT);"
      "CREATE TABLE threads(tid INTEGER PRIMARY KEY, pid INTEGER, name TEXT, first_seq INTEGER,"
      " last_seq INTEGER);"
      "CREATE TABLE mapped_files(id INTEGER PRIMARY KEY, path TEXT, stored TEXT, size INTEGER,"
      " first_seq INTEGER);"
      "CREATE TABLE checkpoints(id INTEGER PRIMARY KEY, seq INTEGER, time_ns INTEGER, rss INTEGER,"
      " bytes_added INTEGER, path TEXT);"
      "CREATE TABLE bookmarks(id INTEGER PRIMARY KEY, seq INTEGER, note TEXT);"
      "CREATE TABLE seeks(id INTEGER PRIMARY KEY, seq INTEGER, at TEXT);"
      "INSERT INTO meta VALUES('schema_version', '1');"
      "INSERT INTO events VALUES(1, 7, 1, 'read', 3, 100, 8, 0, 'read(...) = 3');";
  ASSERT_EQ(sqlite3_exec(h, sql, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);
  auto idx = TimelineIndex::open(tmp / "v1.db", true);
  auto e = idx->event(1);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->name, "read");
  EXPECT_EQ(e->result, 3);
}

TEST(TimelineIndex, ConcurrentWritersKeepTransactionsWhole) {
  TempDir tmp;
  auto idx = TimelineIndex::create(tmp / "timeline.db");
  std::thread events([&] {
    for (uint64_t b = 0; b < 50; ++b) {
      std::vector<EventRow> rows;
      for (uint64_t i = 1; i <= 20; ++i)
        rows.push_back(row(b * 20 + i, 1, EventKind::Syscall, "read", 0));
      idx->add_events(rows);
    }
  });
  for (int i = 0; i < 50; ++i) idx->add_bookmark(uint64_t(i), "b");
  events.join();
  EXPECT_EQ(idx->event_count(), 1000u);
  EXPECT_EQ(idx->bookmarks().size(), 50u);
}

}  // namespace
}  // namespace ckrr
