#include <gtest/gtest.h>

#include <string>

#include "core/Sha256.h"

namespace ckrr {
namespace {

TEST(Sha256, Abc) {
  EXPECT_EQ(Sha256::hex_of("abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, Empty) {
  EXPECT_EQ(Sha256::hex_of("", 0),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, TwoBlockMessage) {
  std::string m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(Sha256::hex_of(m.data(), m.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MillionAInUnevenPieces) {
  // Feeding odd-sized pieces exercises the partial-block buffering.
  std::string chunk(997, 'a');
  Sha256 h;
  size_t left = 1000000;
  while (left > 0) {
    size_t n = std::min(left, chunk.size());
    h.update(chunk.data(), n);
    left -= n;
  }
  EXPECT_EQ(h.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ByteAtATimeMatchesOneShot) {
  std::string m;
  for (int i = 0; i < 300; ++i) m.push_back(char(i * 7));
  Sha256 h;
  for (char c : m) h.update(&c, 1);
  EXPECT_EQ(h.hex(), Sha256::hex_of(m.data(), m.size()));
}

}  // namespace
}  // namespace ckrr

namespace ckrr {
namespace {

// The SHA-NI path and the portable one agree on every length (block boundaries, tails).
TEST(Sha256, HardwareAndPortablePathsAgree) {
  if (!Sha256::hardware_accelerated()) GTEST_SKIP() << "this CPU has no SHA extensions";
  std::vector<uint8_t> data(5000);
  uint32_t x = 12345;
  for (auto& b : data) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
  for (size_t len : {0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 4096, 5000}) {
    std::string hw = Sha256::hex_of(data.data(), len);
    Sha256::force_portable(true);
    std::string sw = Sha256::hex_of(data.data(), len);
    Sha256::force_portable(false);
    EXPECT_EQ(hw, sw) << len;
  }
  // Split updates cross blocks the same way.
  Sha256 a;
  a.update(data.data(), 3);
  a.update(data.data() + 3, 4997);
  EXPECT_EQ(a.hex(), Sha256::hex_of(data.data(), 5000));
}

}  // namespace
}  // namespace ckrr
