#include <gtest/gtest.h>

#include <random>

#include "gdb_fake_target.h"
#include "replayer/gdb/GdbHex.h"
#include "replayer/gdb/GdbSession.h"

namespace ckrr::gdb {
namespace {

using test::FakeTarget;

// The final reply to one packet.
std::string ask(GdbSession& s, std::string_view p) {
  auto r = s.handle(p);
  return r.empty() ? "(none)" : r.back();
}

TEST(GdbSession, AdvertisesFeatures) {
  FakeTarget t;
  GdbSession s(t);
  std::string r = ask(s, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
  for (const char* f : {"PacketSize=", "QStartNoAckMode+", "qXfer:features:read+",
                        "qXfer:auxv:read+", "qXfer:exec-file:read+", "qXfer:libraries-svr4:read+",
                        "qXfer:threads:read+", "ReverseStep+", "ReverseContinue+", "swbreak+",
                        "hwbreak+", "vContSupported+", "multiprocess+"})
    EXPECT_NE(r.find(f), std::string::npos) << f << " missing from " << r;
  EXPECT_FALSE(s.no_ack());
  EXPECT_EQ(ask(s, "QStartNoAckMode"), "OK");
  EXPECT_TRUE(s.no_ack());
}

TEST(GdbSession, ThreadsAndStopStatusWithMultiprocessIds) {
  FakeTarget t;
  GdbSession s(t);
  ask(s, "qSupported:multiprocess+;swbreak+");
  EXPECT_EQ(ask(s, "?"), "T05thread:p64.64;");
  EXPECT_EQ(ask(s, "qfThreadInfo"), "mp64.64,p64.65");
  EXPECT_EQ(ask(s, "qsThreadInfo"), "l");
  EXPECT_EQ(ask(s, "qC"), "QCp64.64");
  EXPECT_EQ(ask(s, "Tp64.65"), "OK");
  EXPECT_EQ(ask(s, "Tp64.66"), "E01");
  EXPECT_EQ(ask(s, "qAttached:64"), "1");
  std::string xml = ask(s, "qXfer:threads:read::0,1000");
  EXPECT_EQ(xml[0], 'l');
  EXPECT_NE(xml.find("<thread id=\"p64.65\" name=\"worker\"/>"), std::string::npos);
}

TEST(GdbSession, ReadsRegistersOfTheSelectedThread) {
  FakeTarget t;
  GdbSession s(t);
  std::string g = ask(s, "g");
  EXPECT_EQ(g.size(), 2u * 560);  // 560 bytes without AVX
  EXPECT_EQ(g.substr(0, 16), "1111000000000000");
  EXPECT_EQ(ask(s, "p10"), "0010400000000000");  // rip of thread 100
  EXPECT_EQ(ask(s, "Hg65"), "OK");
  EXPECT_EQ(ask(s, "p10"), "0020400000000000");
  EXPECT_EQ(ask(s, "Hg99"), "E01");  // no such thread
  EXPECT_EQ(ask(s, "p3c"), "E45");   // ymm0h: no AVX here
  EXPECT_EQ(ask(s, "p4c"), "E45");   // past the last register
  t.avx = true;
  EXPECT_EQ(ask(s, "p3c"), std::string(32, '0'));
}

TEST(GdbSession, ReadsMemoryAndRefusesWrites) {
  FakeTarget t;
  GdbSession s(t);
  EXPECT_EQ(ask(s, "m400000,4"), "00010203");
  EXPECT_EQ(ask(s, "m40003e,8"), "3e3f");  // partial read at the end of the mapping
  EXPECT_EQ(ask(s, "m500000,4"), "E0e");
  EXPECT_EQ(ask(s, "mffffffffffffffff,10"), "E0e");
  for (const char* w : {"M400000,1:ff", "X400000,0:", "P0=0100000000000000", "G00"}) {
    std::string r = ask(s, w);
    EXPECT_EQ(r.rfind("E.", 0), 0u) << w;
    EXPECT_NE(r.find("read-only"), std::string::npos) << w;
  }
}

TEST(GdbSession, ServesTargetXmlAuxvExecFileAndLibraries) {
  FakeTarget t;
  GdbSession s(t);
  std::string x = ask(s, "qXfer:features:read:target.xml:0,ffff");
  EXPECT_EQ(x[0], 'l');
  EXPECT_NE(x.find("i386:x86-64"), std::string::npos);
  EXPECT_NE(x.find("org.gnu.gdb.i386.linux"), std::string::npos);
  // Read in windows: "m" while more follows.
  std::string first = ask(s, "qXfer:features:read:target.xml:0,10");
  EXPECT_EQ(first, "m" + x.substr(1, 16));
  EXPECT_EQ(ask(s, "qXfer:features:read:other.xml:0,10"), "E00");
  std::string auxv = ask(s, "qXfer:auxv:read::0,100");
  EXPECT_EQ(auxv, std::string("l\x06\0\0\0\0\0\0\0\0\x10\0\0", 13));
  EXPECT_EQ(ask(s, "qXfer:exec-file:read:64:0,100"), "l/usr/bin/app");
  EXPECT_EQ(ask(s, "qXfer:exec-file:read:64:100,100"), "l");
  std::string libs = ask(s, "qXfer:libraries-svr4:read::0,1000");
  EXPECT_NE(libs.find("main-lm=\"0x7000\""), std::string::npos) << libs;
  EXPECT_NE(libs.find("<library name=\"/lib/libc.so.6\" lm=\"0x7100\" l_addr=\"0x7f0000000000\" "
                      "l_ld=\"0x7f0000100000\" lmid=\"0x0\"/>"),
            std::string::npos)
      << libs;
  EXPECT_EQ(ask(s, "qXfer:unknown:read::0,10"), "");
  EXPECT_EQ(ask(s, "qXfer:auxv:write::0:00"), "");
}

TEST(GdbSession, BreakpointsAndWatchpoints) {
  FakeTarget t;
  GdbSession s(t);
  EXPECT_EQ(ask(s, "Z0,401000,1"), "OK");
  EXPECT_EQ(ask(s, "Z2,601040,4"), "OK");
  EXPECT_EQ(ask(s, "Z3,601040,4"), "");  // unsupported: gdb stops trying
  EXPECT_EQ(ask(s, "z0,401000,1"), "OK");
  EXPECT_EQ(ask(s, "z0,401000,1"), "E01");
  EXPECT_EQ(ask(s, "Z9,0,1"), "");
  EXPECT_EQ(ask(s, "Z0,zz,1"), "E01");
  EXPECT_EQ(t.breakpoints.size(), 1u);
}

TEST(GdbSession, ResumesAndReportsStops) {
  FakeTarget t;
  GdbSession s(t);
  ask(s, "qSupported:swbreak+;hwbreak+");
  EXPECT_EQ(ask(s, "vCont?"), "vCont;c;C;s;S");

  t.stops.push_back(StopReason::with(StopReason::Kind::SwBreakpoint, 101));
  EXPECT_EQ(ask(s, "vCont;c"), "T05thread:65;swbreak:;");
  EXPECT_FALSE(t.requests.back().step);
  EXPECT_EQ(t.requests.back().thread, 100);  // unspecified: the current thread

  t.stops.push_back(StopReason::with(StopReason::Kind::Step, 100));
  EXPECT_EQ(ask(s, "vCont;s:64;c"), "T05thread:64;");  // steps 100 though 101 is current
  EXPECT_TRUE(t.requests.back().step);
  EXPECT_EQ(t.requests.back().thread, 100);

  t.stops.push_back(StopReason::watchpoint(100, WatchKind::Write, 0x601040));
  EXPECT_EQ(ask(s, "vCont;C0b:64"), "T05thread:64;watch:601040;");
  EXPECT_EQ(t.requests.back().signal, SIGSEGV);  // gdb's 11 is Linux's 11

  t.stops.push_back(StopReason::with(StopReason::Kind::Signal, 100, SIGUSR1));
  EXPECT_EQ(ask(s, "c"), "T1ethread:64;");  // gdb numbers SIGUSR1 30

  t.stops.push_back(StopReason::with(StopReason::Kind::ReplayBegin, 100));
  EXPECT_EQ(ask(s, "bc"), "T05thread:64;replaylog:begin;");
  EXPECT_EQ(t.requests.back().direction, Direction::Backward);
  t.stops.push_back(StopReason::with(StopReason::Kind::Step, 100));
  ask(s, "bs");
  EXPECT_TRUE(t.requests.back().step);
  EXPECT_EQ(t.requests.back().direction, Direction::Backward);

  t.stops.push_back(StopReason::with(StopReason::Kind::ReplayEnd, 100));
  EXPECT_EQ(ask(s, "s"), "T05thread:64;replaylog:end;");

  EXPECT_EQ(ask(s, "c401000").rfind("E.", 0), 0u);  // resume elsewhere = jump: refused
  EXPECT_EQ(ask(s, "vCont;t"), "E01");
  EXPECT_EQ(ask(s, "vCont;x"), "E01");

  t.stops.push_back(StopReason::exited(3));
  EXPECT_EQ(ask(s, "c"), "W03");
  EXPECT_EQ(ask(s, "?"), "W00");
}

TEST(GdbSession, MonitorCommandsUseConsoleOutput) {
  FakeTarget t;
  GdbSession s(t);
  auto r = s.handle("qRcmd," + hex_encode("when"));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "O" + hex_encode("event 42\n"));
  EXPECT_EQ(r[1], "OK");
  r = s.handle("qRcmd," + hex_encode("frobnicate"));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1], "E01");
  EXPECT_EQ(ask(s, "qRcmd,zz"), "E01");
}

TEST(GdbSession, KillAndDetachFinish) {
  FakeTarget t;
  GdbSession s(t);
  EXPECT_TRUE(s.handle("k").empty());
  EXPECT_TRUE(s.finished());
  EXPECT_TRUE(t.killed);
  GdbSession s2(t);
  EXPECT_EQ(ask(s2, "vKill;64"), "OK");
  EXPECT_TRUE(s2.finished());
  GdbSession s3(t);
  EXPECT_EQ(ask(s3, "D"), "OK");
  EXPECT_TRUE(s3.finished());
}

TEST(GdbSession, UnknownPacketsGetEmptyReplies) {
  FakeTarget t;
  GdbSession s(t);
  for (const char* p : {"qTStatus", "qOffsets", "vMustReplyEmpty", "QNonStop:0", "qFoo", "y", ""})
    EXPECT_EQ(ask(s, p), "") << p;
  EXPECT_EQ(ask(s, "qSymbol::"), "OK");
}

// Thousands of random and mutated packets: each gets a reply (error, empty or a valid answer)
// and nothing crashes or hangs.
TEST(GdbSession, FuzzMalformedPackets) {
  const std::vector<std::string> seeds = {"g",
                                          "p10",
                                          "m400000,4",
                                          "M400000,1:00",
                                          "X400000,1:\x7d\x03",
                                          "Z0,401000,1",
                                          "z2,601040,4",
                                          "vCont;s:p64.64;c",
                                          "vCont;C0b:65",
                                          "Hgp64.65",
                                          "Hc-1",
                                          "T65",
                                          "qXfer:features:read:target.xml:0,ffff",
                                          "qXfer:auxv:read::ffffffffffffffff,1",
                                          "qXfer:libraries-svr4:read::0,10",
                                          "qRcmd,7768656e",
                                          "qSupported:multiprocess+",
                                          "C05;401000",
                                          "S1e",
                                          "bc",
                                          "bs",
                                          "qfThreadInfo",
                                          "qC",
                                          "?",
                                          "D;64",
                                          "vKill;64",
                                          "qXfer:threads:read::0,fff"};
  std::mt19937 rng(42);
  const std::string alphabet = "0123456789abcdefgxyzpPqQvVmMgGzZ,;:.-#$}*\x03 ";
  FakeTarget t;
  for (int round = 0; round < 20000; round++) {
    std::string p = seeds[rng() % seeds.size()];
    switch (rng() % 5) {
      case 0:  // random bytes
        p.assign(rng() % 64, '\0');
        for (char& c : p) c = static_cast<char>(rng());
        break;
      case 1:  // truncated
        p = p.substr(0, rng() % (p.size() + 1));
        break;
      case 2:  // characters replaced from an alphabet of meaningful ones
        for (int i = 0; i < 3 && !p.empty(); i++)
          p[rng() % p.size()] = alphabet[rng() % alphabet.size()];
        break;
      case 3:  // huge numbers and lengths
        p = std::string(1, "mpZzHTgCS"[rng() % 9]) + std::string(rng() % 40, 'f') + "," +
            std::string(rng() % 40, 'f');
        break;
      default:
        break;
    }
    GdbSession s(t);  // fresh: a `k` in one round must not stop the next
    s.handle("qSupported:multiprocess+;swbreak+");
    auto replies = s.handle(p);
    if (p != "k") {
      ASSERT_FALSE(replies.empty()) << "no reply to '" << p << "'";
      const std::string& r = replies.back();
      EXPECT_LT(r.size(), 0x10000u) << p;
    }
  }
}

}  // namespace
}  // namespace ckrr::gdb
