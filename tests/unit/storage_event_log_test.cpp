#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <set>

#include "core/Error.h"
#include "storage/EventLogReader.h"
#include "storage/EventLogWriter.h"
#include "storage/TimelineIndex.h"
#include "storage_test_util.h"

namespace ckrr {
namespace {

using test::TempDir;

// Deterministic content derived from seq, so a reader can check any event on its own.
Event make_event(uint64_t seq) {
  Event e;
  e.seq = seq;
  e.tid = int32_t(1000 + seq % 3);
  e.kind = seq % 50 == 0 ? EventKind::Signal : EventKind::Syscall;
  e.nr = e.kind == EventKind::Signal ? 11 : int32_t(seq % 7);
  e.args[0] = seq * 3;
  e.result = int64_t(seq % 11) - 5;
  e.time_ns = seq * 1000;
  if (seq % 10 == 0)
    e.writes.push_back({0x1000 + seq, std::vector<uint8_t>(seq % 97, uint8_t(seq))});
  if (seq % 13 == 0) e.add_text(blob::kPath, "/tmp/file" + std::to_string(seq));
  return e;
}

void expect_event(const Event& e, uint64_t seq) {
  Event want = make_event(seq);
  ASSERT_EQ(e.seq, seq);
  EXPECT_EQ(e.tid, want.tid);
  EXPECT_EQ(e.kind, want.kind);
  EXPECT_EQ(e.nr, want.nr);
  EXPECT_EQ(e.args[0], want.args[0]);
  EXPECT_EQ(e.result, want.result);
  EXPECT_EQ(e.time_ns, want.time_ns);
  ASSERT_EQ(e.writes.size(), want.writes.size());
  if (!e.writes.empty()) {
    EXPECT_EQ(e.writes[0].bytes, want.writes[0].bytes);
  }
  ASSERT_EQ(e.blobs.size(), want.blobs.size());
  if (!e.blobs.empty()) {
    EXPECT_EQ(e.blobs[0].text(), want.blobs[0].text());
  }
}

// Writes events 1..count with small chunks; returns the index rows (sorted by seq).
std::vector<EventRow> write_log(const std::filesystem::path& dir, uint64_t count,
                                size_t chunk_bytes = 4096) {
  auto idx = TimelineIndex::create(dir / "timeline.db");
  EventLogWriter w(dir / "events.log", idx.get(), chunk_bytes);
  for (uint64_t s = 1; s <= count; ++s) w.append(make_event(s));
  w.close();
  EXPECT_FALSE(w.failed()) << w.error();
  return idx->events({});
}

// Offsets of the chunks, in file order.
std::vector<uint64_t> chunk_offsets(const std::vector<EventRow>& rows) {
  std::set<uint64_t> s;
  for (const auto& r : rows) s.insert(r.chunk_offset);
  return {s.begin(), s.end()};
}

TEST(EventLog, RoundTrip100kEventsAcrossChunksWithIndex) {
  TempDir tmp;
  constexpr uint64_t kCount = 100000;
  auto rows = write_log(tmp.path(), kCount, 16 * 1024);
  ASSERT_EQ(rows.size(), kCount);
  auto offsets = chunk_offsets(rows);
  EXPECT_GT(offsets.size(), 20u);
  EXPECT_EQ(offsets.front(), 8u);  // right after the file header
  EXPECT_EQ(test::mode_of(tmp / "events.log"), 0600u);

  // Index rows carry what the writer derived from each event.
  EXPECT_EQ(rows[49].seq, 50u);
  EXPECT_EQ(rows[49].name, "SIGSEGV");
  EXPECT_EQ(rows[49].kind, EventKind::Signal);
  EXPECT_EQ(rows[0].name, "write");  // nr 1
  EXPECT_EQ(rows[6].result, int64_t(7 % 11) - 5);

  EventLogReader r(tmp / "events.log");
  Event e;
  for (uint64_t s = 1; s <= kCount; ++s) {
    ASSERT_TRUE(r.next(e)) << s;
    expect_event(e, s);
    if (HasFailure()) return;
  }
  EXPECT_FALSE(r.next(e));
  EXPECT_FALSE(r.truncated());

  // Every row's (chunk_offset, chunk_index) leads back to its event; check a spread of them,
  // including the first and last event of chunks.
  for (size_t i = 0; i < rows.size(); i += 997) {
    r.seek(rows[i].chunk_offset, rows[i].chunk_index);
    ASSERT_TRUE(r.next(e));
    EXPECT_EQ(e.seq, rows[i].seq);
  }
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].chunk_index != 0) continue;
    EXPECT_LT(rows[i - 1].chunk_offset, rows[i].chunk_offset);
    r.seek(rows[i - 1].chunk_offset, rows[i - 1].chunk_index);
    ASSERT_TRUE(r.next(e));
    EXPECT_EQ(e.seq, rows[i - 1].seq);
    ASSERT_TRUE(r.next(e));  // continues into the next chunk
    EXPECT_EQ(e.seq, rows[i].seq);
    if (i > 5000) break;
  }
  r.seek(rows.back().chunk_offset, rows.back().chunk_index);
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.seq, kCount);
  EXPECT_FALSE(r.next(e));

  for (uint64_t s : {uint64_t(1), uint64_t(2), uint64_t(777), uint64_t(50000), kCount}) {
    ASSERT_TRUE(r.seek_seq(s)) << s;
    ASSERT_TRUE(r.next(e));
    expect_event(e, s);
  }
  EXPECT_FALSE(r.seek_seq(kCount + 1));
  EXPECT_FALSE(r.seek_seq(0));

  EXPECT_THROW(r.seek(offsets[1] + 1, 0), TraceError);  // not a chunk boundary
  EXPECT_THROW(r.seek(offsets[0], 100000), TraceError);
}

TEST(EventLog, EventLargerThanAChunk) {
  TempDir tmp;
  EventLogWriter w(tmp / "events.log", nullptr, 1024);
  Event big = make_event(1);
  std::vector<uint8_t> data(3 << 20);
  std::mt19937 rng(1);
  for (auto& b : data) b = uint8_t(rng());
  big.add_blob(blob::kData, data.data(), data.size());
  w.append(big);
  w.append(make_event(2));
  w.close();
  ASSERT_FALSE(w.failed()) << w.error();
  EXPECT_GT(w.bytes_written(), data.size());
  EventLogReader r(tmp / "events.log");
  Event e;
  ASSERT_TRUE(r.next(e));
  ASSERT_NE(e.find_blob(blob::kData), nullptr);
  EXPECT_EQ(e.find_blob(blob::kData)->data, data);
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.seq, 2u);
  EXPECT_FALSE(r.next(e));
}

TEST(EventLog, FlushMakesEventsVisibleWhileWriting) {
  TempDir tmp;
  auto idx = TimelineIndex::create(tmp / "timeline.db");
  EventLogWriter w(tmp / "events.log", idx.get());
  for (uint64_t s = 1; s <= 10; ++s) w.append(make_event(s));
  w.flush();
  EXPECT_EQ(idx->event_count(), 10u);
  EventLogReader r(tmp / "events.log");
  Event e;
  int n = 0;
  while (r.next(e)) ++n;
  EXPECT_EQ(n, 10);
  EXPECT_FALSE(r.truncated());
  // More events after a flush land in the next chunk and the same reader picks them up.
  w.append(make_event(11));
  w.flush();
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.seq, 11u);
  w.close();
  w.close();                     // idempotent
  w.append(make_event(12));  // dropped after close
  EXPECT_EQ(idx->event_count(), 11u);
}

TEST(EventLog, TornLastChunkEndsTheLogWithTruncated) {
  TempDir tmp;
  auto rows = write_log(tmp.path(), 2000);
  auto offsets = chunk_offsets(rows);
  ASSERT_GE(offsets.size(), 4u);
  uint64_t last = offsets.back();
  uint64_t prefix = 0;  // events in the chunks before the last
  for (const auto& r : rows) prefix += r.chunk_offset < last;
  auto size = std::filesystem::file_size(tmp / "events.log");

  // Cut in the middle of the data, inside the header, and exactly at the chunk boundary.
  for (uint64_t cut : {last + (size - last) / 2, last + 10, last}) {
    TempDir copy;
    std::filesystem::copy_file(tmp / "events.log", copy / "events.log");
    std::filesystem::resize_file(copy / "events.log", cut);
    EventLogReader r(copy / "events.log");
    Event e;
    uint64_t n = 0;
    while (r.next(e)) {
      ++n;
      ASSERT_EQ(e.seq, n);
    }
    EXPECT_EQ(n, prefix) << "cut at " << cut;
    EXPECT_EQ(r.truncated(), cut != last) << "cut at " << cut;
  }
}

TEST(EventLog, CorruptMiddleChunkNamesFileAndOffset) {
  TempDir tmp;
  auto rows = write_log(tmp.path(), 2000);
  auto offsets = chunk_offsets(rows);
  ASSERT_GE(offsets.size(), 4u);
  uint64_t bad = offsets[2];
  uint64_t before = 0;
  for (const auto& r : rows) before += r.chunk_offset < bad;

  // A byte in the compressed data, then one in the chunk header.
  for (uint64_t where : {bad + 40, bad + 5}) {
    TempDir copy;
    auto log = copy / "events.log";
    std::filesystem::copy_file(tmp / "events.log", log);
    int fd = ::open(log.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    uint8_t b;
    ASSERT_EQ(::pread(fd, &b, 1, off_t(where)), 1);
    b ^= 0x40;
    ASSERT_EQ(::pwrite(fd, &b, 1, off_t(where)), 1);
    ::close(fd);

    EventLogReader r(log);
    Event e;
    uint64_t n = 0;
    try {
      while (r.next(e)) ++n;
      ADD_FAILURE() << "no error for a flipped byte at " << where;
    } catch (const TraceError& err) {
      std::string msg = err.what();
      EXPECT_NE(msg.find(log.string()), std::string::npos) << msg;
      EXPECT_NE(msg.find("corrupt chunk at offset " + std::to_string(bad)), std::string::npos)
          << msg;
    }
    EXPECT_EQ(n, before);
    // Chunks after the bad one are still reachable through the index.
    r.seek(offsets[3], 0);
    ASSERT_TRUE(r.next(e));
    uint64_t first_of_next = 0;
    for (const auto& row : rows)
      if (row.chunk_offset == offsets[3] && row.chunk_index == 0) first_of_next = row.seq;
    expect_event(e, first_of_next);
  }
}

TEST(EventLog, ReaderRejectsNonLogs) {
  TempDir tmp;
  EXPECT_THROW(EventLogReader(tmp / "missing.log"), TraceError);
  test::write_file(tmp / "text.log", "hello world, not a log");
  try {
    EventLogReader r(tmp / "text.log");
    ADD_FAILURE();
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("text.log: not a ckrr event log"), std::string::npos)
        << e.what();
  }
  test::write_file(tmp / "v9.log", std::string("CKRRLOG\x09", 8));
  try {
    EventLogReader r(tmp / "v9.log");
    ADD_FAILURE();
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("version 9"), std::string::npos) << e.what();
  }
  test::write_file(tmp / "empty.log", "");
  EXPECT_THROW(EventLogReader(tmp / "empty.log"), TraceError);
  // Just a header: an empty, valid log.
  test::write_file(tmp / "header.log", std::string("CKRRLOG\x01", 8));
  EventLogReader r(tmp / "header.log");
  Event e;
  EXPECT_FALSE(r.next(e));
  EXPECT_FALSE(r.truncated());
}

TEST(EventLog, RandomGarbageAfterHeaderNeverCrashes) {
  TempDir tmp;
  write_log(tmp.path(), 300, 1024);
  std::string good = test::read_file(tmp / "events.log");
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    std::string bad = good;
    for (int i = 0; i < 3; ++i) bad[8 + rng() % (bad.size() - 8)] = char(rng());
    test::write_file(tmp / "bad.log", bad);
    EventLogReader r(tmp / "bad.log");
    Event e;
    try {
      while (r.next(e)) {
      }
    } catch (const TraceError&) {
    }
  }
}

TEST(EventLog, LogIsPrivateWhateverTheUmask) {
  TempDir tmp;
  test::write_file(tmp / "events.log", "old contents");
  ::chmod((tmp / "events.log").c_str(), 0666);
  mode_t old = ::umask(0);
  {
    EventLogWriter w(tmp / "events.log", nullptr);
    w.append(make_event(1));
  }
  ::umask(old);
  EXPECT_EQ(test::mode_of(tmp / "events.log"), 0600u);
  EventLogReader r(tmp / "events.log");  // old contents were replaced
  Event e;
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.seq, 1u);
}

TEST(EventLog, SecondWriterIsRefused) {
  TempDir tmp;
  EventLogWriter w(tmp / "events.log", nullptr);
  try {
    EventLogWriter w2(tmp / "events.log", nullptr);
    ADD_FAILURE() << "second writer accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another recorder"), std::string::npos) << e.what();
  }
  w.append(make_event(1));  // the first writer is unharmed
  w.close();
  EXPECT_FALSE(w.failed());
}

TEST(EventLog, WriteToFullDeviceFails) {
  TempDir tmp;
  auto log = tmp / "events.log";
  std::filesystem::create_symlink("/dev/full", log);
  EventLogWriter w(log, nullptr);
  EXPECT_TRUE(w.failed());
  for (uint64_t s = 1; s <= 100; ++s) w.append(make_event(s));  // dropped, no crash
  w.flush();
  w.close();
  EXPECT_TRUE(w.failed());
  EXPECT_NE(w.error().find(log.string()), std::string::npos) << w.error();
  EXPECT_NE(w.error().find("No space left on device"), std::string::npos) << w.error();
}

// A real filesystem filling up in the middle of a recording, so the failure happens on the
// background thread. Needs permission to mount a tmpfs.
TEST(EventLog, DiskFullMidRecordingKeepsAReadablePrefix) {
  TempDir tmp;
  auto mnt = tmp / "mnt";
  std::filesystem::create_directory(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  struct Unmount {
    std::filesystem::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mnt};

  auto log = mnt / "events.log";
  uint64_t appended = 0;
  {
    EventLogWriter w(log, nullptr, 4096);
    std::mt19937 rng(3);
    std::vector<uint8_t> noise(1000);  // incompressible, so the disk fills quickly
    for (uint64_t s = 1; s <= 2000 && !w.failed(); ++s) {
      Event e = make_event(s);
      for (auto& b : noise) b = uint8_t(rng());
      e.add_blob(blob::kData, noise.data(), noise.size());
      w.append(e);
      appended = s;
      if (s % 8 == 0) w.flush();
    }
    w.close();
    ASSERT_TRUE(w.failed()) << "64k tmpfs never filled";
    EXPECT_NE(w.error().find(log.string()), std::string::npos) << w.error();
    EXPECT_NE(w.error().find("No space left on device"), std::string::npos) << w.error();
  }
  EventLogReader r(log);
  Event e;
  uint64_t n = 0;
  while (r.next(e)) ASSERT_EQ(e.seq, ++n);
  EXPECT_GT(n, 10u);
  EXPECT_LT(n, appended);
}

}  // namespace
}  // namespace ckrr
