#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "core/Error.h"
#include "storage/PageStore.h"
#include "storage_test_util.h"

namespace ckrr {
namespace {

std::vector<uint8_t> random_pages(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n * kPageSize);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < v.size(); i += 8) {
    uint64_t x = rng();
    memcpy(&v[i], &x, 8);
  }
  return v;
}

TEST(PageStore, ZeroPagesCostNothing) {
  test::TempDir d;
  auto s = PageStore::open(d / "pages", true);
  s->begin();
  std::vector<uint8_t> zero(kPageSize, 0);
  EXPECT_TRUE(s->add(zero.data()).zero());
  EXPECT_EQ(s->commit(), 0u);  // nothing new: no pack kept
  EXPECT_FALSE(std::filesystem::exists(s->pack_path(1)));
}

TEST(PageStore, SecondCheckpointOfUnchangedRegionAddsNothing) {
  test::TempDir d;
  const size_t n = 100 * 256;  // 100 MB
  std::vector<uint8_t> mem = random_pages(n, 1);
  std::vector<PageRef> refs(n);
  {
    auto s = PageStore::open(d / "pages", true);
    s->begin();
    for (size_t i = 0; i < n; ++i) refs[i] = s->add(&mem[i * kPageSize]);
    EXPECT_EQ(s->pack_bytes(), n * kPageSize);
    EXPECT_EQ(s->commit(), 1u);
    s->begin();
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(s->add(&mem[i * kPageSize]), refs[i]);
    EXPECT_EQ(s->pack_bytes(), 0u);
    EXPECT_EQ(s->commit(), 0u);
  }
  // Reopened, the store still knows the pages; a 10% change adds 10%.
  auto s = PageStore::open(d / "pages", true);
  EXPECT_EQ(s->page_count(), n);
  for (size_t i = 0; i < n; i += 10) mem[i * kPageSize] ^= 0xff;
  s->begin();
  for (size_t i = 0; i < n; ++i) s->add(&mem[i * kPageSize]);
  EXPECT_EQ(s->pack_bytes(), (n / 10) * kPageSize);
  uint32_t pack = s->commit();
  EXPECT_EQ(pack, 2u);
  EXPECT_EQ(test::mode_of(s->pack_path(pack)), 0600u);
  EXPECT_EQ(test::mode_of(d / "pages"), 0700u);
  // Pages read back equal, and are page-aligned in the pack.
  std::vector<uint8_t> page(kPageSize);
  for (size_t i = 0; i < n; i += 997) {
    PageRef r = s->add(&mem[i * kPageSize]);
    EXPECT_EQ(r.offset % kPageSize, 0u);
    s->read_page(r, page.data());
    ASSERT_EQ(memcmp(page.data(), &mem[i * kPageSize], kPageSize), 0) << i;
  }
}

TEST(PageStore, DedupWithinOnePack) {
  test::TempDir d;
  auto s = PageStore::open(d / "pages", true);
  std::vector<uint8_t> p = random_pages(1, 7);
  s->begin();
  PageRef a = s->add(p.data()), b = s->add(p.data());
  EXPECT_EQ(a, b);
  EXPECT_EQ(s->pack_bytes(), kPageSize);
  s->commit();
}

TEST(PageStore, AbortedAndCrashedPacksLeaveNoPages) {
  test::TempDir d;
  std::vector<uint8_t> p = random_pages(4, 3);
  {
    auto s = PageStore::open(d / "pages", true);
    s->begin();
    s->add(p.data());
    s->abort();
    EXPECT_EQ(s->page_count(), 0u);
    EXPECT_FALSE(std::filesystem::exists(s->pack_path(1)));
  }
  // A crashed writer leaves a .dat without .idx: the next writer removes it.
  test::write_file(d / "pages" / "pack-5.dat", std::string(kPageSize, 'x'));
  auto s = PageStore::open(d / "pages", true);
  EXPECT_FALSE(std::filesystem::exists(d / "pages" / "pack-5.dat"));
  EXPECT_EQ(s->page_count(), 0u);
  s->begin();
  EXPECT_GT(s->current_pack(), 5u);  // pack numbers are never reused
  s->abort();
}

TEST(PageStore, CorruptIndexIsNamed) {
  test::TempDir d;
  {
    auto s = PageStore::open(d / "pages", true);
    std::vector<uint8_t> p = random_pages(2, 5);
    s->begin();
    s->add(p.data());
    s->add(p.data() + kPageSize);
    s->commit();
  }
  std::filesystem::path idx = d / "pages" / "pack-1.idx";
  {
    std::fstream f(idx, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('\x55');
  }
  try {
    PageStore::open(d / "pages", true);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("pack-1.idx"), std::string::npos) << e.what();
  }
}

TEST(PageStore, MissingPackIsNamed) {
  test::TempDir d;
  std::filesystem::create_directories(d / "pages");
  auto s = PageStore::open(d / "pages", false);
  std::vector<uint8_t> page(kPageSize);
  try {
    s->read_page(PageRef{9, 0}, page.data());
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("pack-9.dat"), std::string::npos) << e.what();
  }
}

TEST(PageStore, HashDistinguishesSmallChanges) {
  std::vector<uint8_t> p = random_pages(1, 11);
  PageHash h0 = hash_page(p.data());
  for (size_t i = 0; i < kPageSize; i += 509) {
    p[i] ^= 1;
    EXPECT_FALSE(hash_page(p.data()) == h0) << i;
    p[i] ^= 1;
  }
  EXPECT_TRUE(hash_page(p.data()) == h0);
}

TEST(PageStore, VerifyFindsFlippedBitsZeroedRangesAndTruncation) {
  test::TempDir d;
  const size_t n = 64 * 256;  // 64 MB: hashed on several threads
  std::vector<uint8_t> mem = random_pages(n, 7);
  PageRef first;
  {
    auto s = PageStore::open(d / "pages", true);
    s->begin();
    first = s->add(&mem[0]);
    for (size_t i = 1; i < n; ++i) s->add(&mem[i * kPageSize]);
    ASSERT_EQ(s->commit(), 1u);
  }
  auto fresh = [&] { return PageStore::open(d / "pages", false); };
  EXPECT_NO_THROW(fresh()->verify(first, n));
  const std::filesystem::path dat = fresh()->pack_path(1);
  auto patch = [&](uint64_t at, const std::vector<uint8_t>& bytes) {
    std::fstream f(dat, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at));
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  };
  auto expect_bad = [&](const std::string& what) {
    auto s = fresh();
    try {
      s->verify(first, n);
      ADD_FAILURE() << "not detected: " << what;
    } catch (const TraceError& e) {
      EXPECT_NE(std::string(e.what()).find("pack-1.dat"), std::string::npos) << e.what();
    }
  };
  // One flipped bit deep in the pack.
  const uint64_t at = 40000 * 1024 + 123;
  patch(at, {static_cast<uint8_t>(mem[at] ^ 0x10)});
  expect_bad("a flipped bit");
  patch(at, {mem[at]});
  EXPECT_NO_THROW(fresh()->verify(first, n));
  // A zeroed range across two pages.
  patch(5 * kPageSize + 100, std::vector<uint8_t>(kPageSize, 0));
  expect_bad("a zeroed range");
  patch(5 * kPageSize + 100,
        std::vector<uint8_t>(&mem[5 * kPageSize + 100], &mem[6 * kPageSize + 100]));
  EXPECT_NO_THROW(fresh()->verify(first, n));
  // Truncated.
  std::filesystem::resize_file(dat, (n - 3) * kPageSize + 17);
  expect_bad("truncation");
  // A page the pack's index does not list.
  EXPECT_THROW(fresh()->verify(PageRef{1, n * kPageSize}, 1), TraceError);
}

}  // namespace
}  // namespace ckrr
