#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "core/Error.h"
#include "gdb_fake_target.h"
#include "replayer/gdb/GdbPacket.h"
#include "replayer/gdb/GdbServer.h"

namespace ckrr::gdb {
namespace {

using test::FakeTarget;

// The gdb side of a socketpair served by GdbServer::serve_fd on a thread.
class Client {
 public:
  explicit Client(DebugTarget& target) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    fd_ = sv[0];
    server_ = std::thread([&target, fd = sv[1]] {
      GdbServer server(target);
      server.serve_fd(fd);
    });
  }
  ~Client() {
    ::close(fd_);
    server_.join();
  }
  void send_raw(const std::string& s) {
    ASSERT_EQ(::write(fd_, s.data(), s.size()), (ssize_t)s.size());
  }
  // Next event from the server, waiting up to 5 s.
  PacketEvent next() {
    while (!decoder_.has_event()) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 5000) != 1) return {PacketEvent::Kind::Truncated, "(timeout)"};
      char buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return {PacketEvent::Kind::Truncated, "(eof)"};
      decoder_.feed(buf, n);
    }
    return decoder_.next();
  }
  std::string reply() {
    PacketEvent e = next();
    return e.kind == PacketEvent::Kind::Packet ? e.payload : "(not a packet)";
  }

 private:
  int fd_;
  std::thread server_;
  PacketDecoder decoder_;
};

TEST(GdbServer, AcksUntilNoAckMode) {
  FakeTarget t;
  Client c(t);
  c.send_raw("+" + encode_packet("qC"));
  EXPECT_EQ(c.next().kind, PacketEvent::Kind::Ack);
  EXPECT_EQ(c.reply(), "QC64");
  c.send_raw("+" + encode_packet("QStartNoAckMode"));
  EXPECT_EQ(c.next().kind, PacketEvent::Kind::Ack);
  EXPECT_EQ(c.reply(), "OK");
  c.send_raw("+" + encode_packet("m400000,2"));
  EXPECT_EQ(c.next().payload, "0001");  // no `+` before it any more
}

TEST(GdbServer, NaksBadPacketsAndResendsOnNak) {
  FakeTarget t;
  Client c(t);
  c.send_raw("$qC#00");
  EXPECT_EQ(c.next().kind, PacketEvent::Kind::Nak);
  c.send_raw(encode_packet("qC"));
  EXPECT_EQ(c.next().kind, PacketEvent::Kind::Ack);
  EXPECT_EQ(c.reply(), "QC64");
  c.send_raw("-");
  EXPECT_EQ(c.reply(), "QC64");
}

TEST(GdbServer, ErrorReplyForBadPacketsWithoutAcks) {
  FakeTarget t;
  Client c(t);
  c.send_raw(encode_packet("QStartNoAckMode"));
  c.next();
  c.reply();
  c.send_raw("$qC#00");
  EXPECT_EQ(c.reply(), "E01");
}

TEST(GdbServer, CtrlCInterruptsARunningTarget) {
  FakeTarget t;
  t.block_until_interrupt = true;
  Client c(t);
  c.send_raw(encode_packet("QStartNoAckMode"));
  c.next();
  c.reply();
  c.send_raw(encode_packet("vCont;c"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.send_raw("\x03");
  EXPECT_EQ(c.reply(), "T02thread:64;");
}

TEST(GdbServer, KillEndsTheSession) {
  FakeTarget t;
  {
    Client c(t);
    c.send_raw(encode_packet("vKill;64"));
    c.next();
    EXPECT_EQ(c.reply(), "OK");
  }
  EXPECT_TRUE(t.killed);
}

TEST(GdbServer, ParsesListenAddresses) {
  auto a = parse_listen_address("1234");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 1234);
  a = parse_listen_address(":0");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 0);
  a = parse_listen_address("0.0.0.0:9000");
  EXPECT_EQ(a.host, "0.0.0.0");
  EXPECT_EQ(a.port, 9000);
  a = parse_listen_address("[::1]:7");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 7);
  for (const char* bad : {"", ":", "host:", "70000", "12ab", "[::1]7", "-5"})
    EXPECT_THROW(parse_listen_address(bad), Error) << bad;
}

TEST(GdbServer, ListensOnAPickedPort) {
  FakeTarget t;
  GdbServer server(t);
  uint16_t port = server.listen(parse_listen_address(":0"));
  EXPECT_GT(port, 0);
  GdbServer second(t);
  EXPECT_THROW(second.listen({"127.0.0.1", port}), Error);  // taken
}

}  // namespace
}  // namespace ckrr::gdb
