#include <gtest/gtest.h>

#include <random>

#include "storage/Event.h"

namespace ckrr {
namespace {

Event sample_event() {
  Event e;
  e.seq = 123456789;
  e.tid = -7;  // negative values must survive zigzag
  e.kind = EventKind::Syscall;
  e.mode = ReplayMode::ReexecuteOverride;
  e.nr = 0;  // read
  for (int i = 0; i < 6; ++i) e.args[i] = uint64_t(i) * 0x1111111111111111ull;
  e.args[5] = UINT64_MAX;
  e.result = -14;
  e.time_ns = 987654321012ull;
  e.writes.push_back({0x7ffd00001000ull, {1, 2, 3, 4, 5}});
  e.writes.push_back({0, {}});
  e.add_text(blob::kPath, "/etc/passwd");
  std::vector<uint8_t> big(70000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i * 31);
  e.add_blob(blob::kData, big.data(), big.size());
  return e;
}

void expect_same(const Event& a, const Event& b) {
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.tid, b.tid);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.nr, b.nr);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(a.args[i], b.args[i]) << i;
  EXPECT_EQ(a.result, b.result);
  EXPECT_EQ(a.time_ns, b.time_ns);
  ASSERT_EQ(a.writes.size(), b.writes.size());
  for (size_t i = 0; i < a.writes.size(); ++i) {
    EXPECT_EQ(a.writes[i].addr, b.writes[i].addr);
    EXPECT_EQ(a.writes[i].bytes, b.writes[i].bytes);
  }
  ASSERT_EQ(a.blobs.size(), b.blobs.size());
  for (size_t i = 0; i < a.blobs.size(); ++i) {
    EXPECT_EQ(a.blobs[i].tag, b.blobs[i].tag);
    EXPECT_EQ(a.blobs[i].data, b.blobs[i].data);
  }
}

TEST(EventCodec, RoundTripWithWritesAndBlobs) {
  Event e = sample_event();
  std::vector<uint8_t> buf;
  encode_event(e, buf);
  Event d;
  ASSERT_EQ(decode_event(buf.data(), buf.size(), d), buf.size());
  expect_same(e, d);
  ASSERT_NE(d.find_blob(blob::kPath), nullptr);
  EXPECT_EQ(d.find_blob(blob::kPath)->text(), "/etc/passwd");
  EXPECT_EQ(d.find_blob(blob::kRegs), nullptr);
}

TEST(EventCodec, ExtremeValues) {
  Event e;
  e.seq = UINT64_MAX;
  e.tid = INT32_MIN;
  e.nr = INT32_MAX;
  e.result = INT64_MIN;
  e.time_ns = UINT64_MAX;
  e.kind = EventKind::Preempt;
  std::vector<uint8_t> buf;
  encode_event(e, buf);
  Event d;
  ASSERT_EQ(decode_event(buf.data(), buf.size(), d), buf.size());
  expect_same(e, d);
  e.result = INT64_MAX;
  buf.clear();
  encode_event(e, buf);
  ASSERT_EQ(decode_event(buf.data(), buf.size(), d), buf.size());
  EXPECT_EQ(d.result, INT64_MAX);
}

TEST(EventCodec, ConsecutiveEventsDecodeInSequence) {
  std::vector<uint8_t> buf;
  for (uint64_t s = 1; s <= 50; ++s) {
    Event e;
    e.seq = s;
    e.result = int64_t(s) * 3;
    encode_event(e, buf);
  }
  size_t pos = 0;
  for (uint64_t s = 1; s <= 50; ++s) {
    Event d;
    size_t used = decode_event(buf.data() + pos, buf.size() - pos, d);
    ASSERT_GT(used, 0u);
    EXPECT_EQ(d.seq, s);
    EXPECT_EQ(d.result, int64_t(s) * 3);
    pos += used;
  }
  EXPECT_EQ(pos, buf.size());
}

TEST(EventCodec, SmallEventIsCompact) {
  Event e;
  e.seq = 5;
  e.tid = 100;
  e.nr = 1;
  e.result = 12;
  std::vector<uint8_t> buf;
  encode_event(e, buf);
  EXPECT_LT(buf.size(), 24u);
}

TEST(EventCodec, EveryTruncationIsRejected) {
  Event e = sample_event();
  e.blobs.pop_back();  // keep it small so every prefix can be tried
  std::vector<uint8_t> buf;
  encode_event(e, buf);
  for (size_t n = 0; n < buf.size(); ++n) {
    Event d;
    EXPECT_EQ(decode_event(buf.data(), n, d), 0u) << "prefix " << n;
  }
}

TEST(EventCodec, BadKindAndModeAndTrailingBytesAreRejected) {
  Event e;
  e.seq = 1;
  std::vector<uint8_t> buf;
  encode_event(e, buf);
  // Layout: body_len, seq, kind, mode, ...; all one byte here.
  Event d;
  auto bad = buf;
  bad[2] = 0;
  EXPECT_EQ(decode_event(bad.data(), bad.size(), d), 0u);
  bad = buf;
  bad[2] = 7;
  EXPECT_EQ(decode_event(bad.data(), bad.size(), d), 0u);
  bad = buf;
  bad[3] = 3;
  EXPECT_EQ(decode_event(bad.data(), bad.size(), d), 0u);
  // A body_len one larger than the fields (with a spare byte present) must fail too.
  bad = buf;
  bad[0] += 1;
  bad.push_back(0);
  EXPECT_EQ(decode_event(bad.data(), bad.size(), d), 0u);
}

TEST(EventCodec, HugeCountsDoNotAllocate) {
  // body_len=12, seq=1, kind=1, mode=0, tid=0, nr=0, 6 args, result, time, n_writes=2^62.
  std::vector<uint8_t> buf = {0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 8; ++i) buf.push_back(0xff);
  buf.push_back(0x3f);
  buf[0] = uint8_t(buf.size() - 1);
  Event d;
  EXPECT_EQ(decode_event(buf.data(), buf.size(), d), 0u);
}

TEST(EventCodec, RandomMutationsNeverCrash) {
  Event e = sample_event();
  e.blobs.back().data.resize(300);
  std::vector<uint8_t> good;
  encode_event(e, good);
  std::mt19937_64 rng(42);
  size_t accepted = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    std::vector<uint8_t> buf = good;
    int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) buf[rng() % buf.size()] = uint8_t(rng());
    if (rng() % 3 == 0) buf.resize(rng() % buf.size());
    Event d;
    size_t used = decode_event(buf.data(), buf.size(), d);
    ASSERT_LE(used, buf.size());
    if (used) ++accepted;
  }
  // Pure random bytes, too.
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> buf(rng() % 64);
    for (auto& b : buf) b = uint8_t(rng());
    Event d;
    ASSERT_LE(decode_event(buf.data(), buf.size(), d), buf.size());
  }
  // Most mutations land in blob bytes and still decode; the point is none crashed.
  EXPECT_LT(accepted, 5000u);
}

TEST(EventKindNames, RoundTrip) {
  for (EventKind k : {EventKind::Syscall, EventKind::Signal, EventKind::Rdtsc, EventKind::Exec,
                      EventKind::Exit, EventKind::Preempt}) {
    auto back = event_kind_from_name(event_kind_name(k));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, k);
  }
  EXPECT_STREQ(event_kind_name(EventKind::Signal), "signal");
  EXPECT_FALSE(event_kind_from_name("bogus").has_value());
}

TEST(EventName, PerKind) {
  Event e;
  e.kind = EventKind::Syscall;
  e.nr = 257;
  EXPECT_EQ(e.name(), "openat");
  e.kind = EventKind::Exec;
  e.nr = 59;
  EXPECT_EQ(e.name(), "execve");
  e.kind = EventKind::Signal;
  e.nr = 11;
  EXPECT_EQ(e.name(), "SIGSEGV");
  e.nr = 2;
  EXPECT_EQ(e.name(), "SIGINT");
  e.kind = EventKind::Rdtsc;
  EXPECT_EQ(e.name(), "rdtsc");
  e.kind = EventKind::Exit;
  EXPECT_EQ(e.name(), "exit");
  e.kind = EventKind::Preempt;
  EXPECT_EQ(e.name(), "preempt");
}

}  // namespace
}  // namespace ckrr
