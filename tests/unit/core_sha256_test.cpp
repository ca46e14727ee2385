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
