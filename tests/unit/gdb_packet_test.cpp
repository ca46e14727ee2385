#include <gtest/gtest.h>

#include <random>

#include "replayer/gdb/GdbHex.h"
#include "replayer/gdb/GdbPacket.h"

namespace ckrr::gdb {
namespace {

std::vector<PacketEvent> decode_all(std::string_view bytes, size_t max = 1 << 20) {
  PacketDecoder d(max);
  d.feed(bytes);
  std::vector<PacketEvent> out;
  while (d.has_event()) out.push_back(d.next());
  return out;
}

TEST(GdbHex, ParsesAndFormatsNumbers) {
  EXPECT_EQ(parse_hex_u64("0"), 0u);
  EXPECT_EQ(parse_hex_u64("7fffFFFFe000"), 0x7fffffffe000u);
  EXPECT_EQ(parse_hex_u64("ffffffffffffffff"), ~0ull);
  EXPECT_FALSE(parse_hex_u64("1ffffffffffffffff"));  // 65 bits
  EXPECT_FALSE(parse_hex_u64(""));
  EXPECT_FALSE(parse_hex_u64("12g"));
  EXPECT_FALSE(parse_hex_u64("-1"));
  EXPECT_EQ(hex_number(0), "0");
  EXPECT_EQ(hex_number(0x401000), "401000");
}

TEST(GdbHex, EncodesAndDecodesBytes) {
  std::string bytes("\x00\x01\xfe\xff", 4);
  EXPECT_EQ(hex_encode(bytes), "0001feff");
  auto back = hex_decode("0001FEff");
  ASSERT_TRUE(back);
  EXPECT_EQ(std::string(back->begin(), back->end()), bytes);
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
}

TEST(GdbPacket, EncodesWithChecksum) {
  EXPECT_EQ(encode_packet(""), "$#00");
  EXPECT_EQ(encode_packet("OK"), "$OK#9a");
  // `#`, `$`, `}` and `*` travel escaped as `}` + (c ^ 0x20).
  EXPECT_EQ(encode_packet("a#b").substr(0, 5),
            "$a}\x03"
            "b");
  EXPECT_EQ(encode_packet("*").substr(0, 3), "$}\x0a");
}

TEST(GdbPacket, RoundTripsBinaryThroughDecoderAndUnescape) {
  std::string payload;
  for (int i = 0; i < 256; i++) payload.push_back(static_cast<char>(i));
  auto events = decode_all(encode_packet(payload));
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].kind, PacketEvent::Kind::Packet);
  EXPECT_EQ(unescape_binary(events[0].payload), payload);
}

TEST(GdbPacket, DecodesAcksInterruptsAndSplitInput) {
  std::string stream =
      "+" + encode_packet("qSupported:multiprocess+") + "-\x03" + encode_packet("g");
  PacketDecoder d;
  for (char c : stream) d.feed(&c, 1);  // one byte at a time, as TCP may deliver it
  std::vector<PacketEvent::Kind> kinds;
  std::vector<std::string> payloads;
  while (d.has_event()) {
    auto e = d.next();
    kinds.push_back(e.kind);
    payloads.push_back(e.payload);
  }
  using K = PacketEvent::Kind;
  ASSERT_EQ(kinds, (std::vector<K>{K::Ack, K::Packet, K::Nak, K::Interrupt, K::Packet}));
  EXPECT_EQ(payloads[1], "qSupported:multiprocess+");
  EXPECT_EQ(payloads[4], "g");
}

TEST(GdbPacket, ReportsBadChecksumTruncationAndOverflow) {
  using K = PacketEvent::Kind;
  auto bad = decode_all("$g#00");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].kind, K::BadChecksum);
  auto nothex = decode_all("$g#zz");
  ASSERT_EQ(nothex.size(), 1u);
  EXPECT_EQ(nothex[0].kind, K::BadChecksum);
  auto trunc = decode_all("$qSupp$g#67");
  ASSERT_EQ(trunc.size(), 2u);
  EXPECT_EQ(trunc[0].kind, K::Truncated);
  EXPECT_EQ(trunc[1].kind, K::Packet);
  EXPECT_EQ(trunc[1].payload, "g");
  auto big = decode_all(encode_packet(std::string(100, 'm')), 10);
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(big[0].kind, K::Overflow);
  // The decoder recovers for the next packet.
  PacketDecoder d(10);
  d.feed(encode_packet(std::string(100, 'm')) + encode_packet("?"));
  d.next();
  ASSERT_TRUE(d.has_event());
  EXPECT_EQ(d.next().payload, "?");
}

TEST(GdbPacket, FuzzDecoderNeverLosesSync) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 2000; round++) {
    std::string junk(rng() % 200, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    PacketDecoder d(64);
    d.feed(junk);
    // Whatever came before, a clean packet after a `#xx` closes any open one is decoded.
    d.feed("#00" + encode_packet("vCont?"));
    std::string last;
    while (d.has_event()) {
      auto e = d.next();
      if (e.kind == PacketEvent::Kind::Packet) last = e.payload;
    }
    EXPECT_EQ(last, "vCont?") << "round " << round;
  }
}

}  // namespace
}  // namespace ckrr::gdb
