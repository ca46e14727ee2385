// The decoder's text for hand-made events, checked against what strace prints for the same
// calls (the e2e test test_events.py compares with a real strace run).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstring>

#include "decoder/ConstantNames.h"
#include "decoder/EventDecoder.h"
#include "decoder/EventJson.h"
#include "decoder/Quote.h"

namespace ckrr {
namespace {

Event call(int nr, std::initializer_list<uint64_t> args, int64_t result) {
  Event e;
  e.tid = 100;
  e.nr = nr;
  int i = 0;
  for (uint64_t a : args) e.args[i++] = a;
  e.result = result;
  return e;
}

TEST(Quote, EscapesAsStrace) {
  EXPECT_EQ(quote_bytes(std::string_view("\177ELF\2\1\1\0\0", 9), 32),
            "\"\\177ELF\\2\\1\\1\\0\\0\"");
  // A byte followed by an octal digit takes three digits.
  EXPECT_EQ(quote_bytes(std::string_view("\0"
                                         "1",
                                         2),
                        32),
            "\"\\0001\"");
  EXPECT_EQ(quote_bytes("a\"b\\c\n\t", 32), "\"a\\\"b\\\\c\\n\\t\"");
  EXPECT_EQ(quote_bytes("abcdef", 3), "\"abc\"...");
  EXPECT_EQ(quote_bytes(std::string_view("\x1b[", 2), 32), "\"\\33[\"");
  EXPECT_EQ(quote_hex("\x01\xff", 8), "\"\\x01\\xff\"");
}

TEST(ConstantNames, FlagSets) {
  EXPECT_EQ(constant_text(ConstantFamily::Open, O_RDONLY | O_CLOEXEC), "O_RDONLY|O_CLOEXEC");
  EXPECT_EQ(constant_text(ConstantFamily::Open, O_WRONLY | O_CREAT | O_TRUNC),
            "O_WRONLY|O_CREAT|O_TRUNC");
  EXPECT_EQ(constant_text(ConstantFamily::Open, O_RDWR | O_TMPFILE), "O_RDWR|O_TMPFILE");
  EXPECT_EQ(constant_text(ConstantFamily::At, AT_EMPTY_PATH), "AT_EMPTY_PATH");
  EXPECT_EQ(constant_text(ConstantFamily::At, 0), "0");
  EXPECT_EQ(constant_text(ConstantFamily::Access, R_OK), "R_OK");
  EXPECT_EQ(constant_text(ConstantFamily::Access, F_OK), "F_OK");
  EXPECT_EQ(constant_text(ConstantFamily::Clock, 1), "CLOCK_MONOTONIC");
  EXPECT_EQ(constant_text(ConstantFamily::Clock, 77), "77");
  EXPECT_EQ(constant_text(ConstantFamily::Futex, 0x81), "FUTEX_WAKE_PRIVATE");
  EXPECT_EQ(constant_text(ConstantFamily::SockType, 0x80001), "SOCK_STREAM|SOCK_CLOEXEC");
  EXPECT_EQ(constant_text(ConstantFamily::Ioctl, 0x5401), "TCGETS");
  EXPECT_EQ(constant_text(ConstantFamily::Ioctl, 0xdead), "0xdead");
  EXPECT_EQ(constant_text(ConstantFamily::Clone, 0x1200000 | SIGCHLD),
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
  EXPECT_EQ(signal_name(SIGRTMIN + 2), "SIGRTMIN+2");
  EXPECT_EQ(errno_text(2), "ENOENT (No such file or directory)");
  EXPECT_EQ(errno_name(512), "ERESTARTSYS");
  EXPECT_EQ(wait_status_text(3 << 8), "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]");
  EXPECT_EQ(wait_status_text(SIGKILL), "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]");
}

TEST(EventDecoder, OpenatModeOnlyWithCreate) {
  Event e = call(257, {static_cast<uint64_t>(AT_FDCWD), 0x1000, O_RDONLY | O_CLOEXEC, 0}, 3);
  e.add_text(blob::kPath, "/etc/ld.so.cache");
  EXPECT_EQ(EventDecoder().decode(e).text,
            "openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3");
  Event c =
      call(257, {static_cast<uint64_t>(AT_FDCWD), 0x1000, O_WRONLY | O_CREAT | O_TRUNC, 0644}, -13);
  c.add_text(blob::kPath, "out.txt");
  const DecodedEvent d = EventDecoder().decode(c);
  EXPECT_EQ(d.text,
            "openat(AT_FDCWD, \"out.txt\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = -1 EACCES "
            "(Permission denied)");
  EXPECT_TRUE(d.error);
  EXPECT_EQ(d.errno_name, "EACCES");
  EXPECT_EQ(d.named_text().substr(0, 27), "openat(dirfd=AT_FDCWD, path");
}

TEST(EventDecoder, ReadShowsTheBytesReadAndFollowsFdNames) {
  EventDecoder dec;
  Event o = call(2, {0x1000, O_RDONLY, 0}, 5);
  o.add_text(blob::kPath, "/etc/hostname");
  dec.next(o);
  Event r = call(0, {5, 0x7000, 64}, 6);
  r.writes.push_back({0x7000, {'h', 'o', 's', 't', '\n', 0, 'x'}});
  EXPECT_EQ(dec.next(r).text, "read(5</etc/hostname>, \"host\\n\\0\", 64) = 6");
  dec.next(call(3, {5}, 0));  // close
  EXPECT_EQ(dec.decode(call(0, {5, 0x7000, 64}, -9)).text,
            "read(5, 0x7000, 64) = -1 EBADF (Bad file descriptor)");
  // Another process's fd 5 is another file.
  Event other = r;
  other.tid = 200;
  EXPECT_EQ(EventDecoder(DecodeOptions{32, false}).decode(other).text.substr(0, 8), "read(5, ");
}

TEST(EventDecoder, StructsTheCallWrote) {
  struct stat st {};
  st.st_mode = S_IFREG | 0644;
  st.st_size = 27005;
  Event f = call(5, {3, 0x2000}, 0);
  MemWrite w{0x2000, std::vector<uint8_t>(sizeof st)};
  std::memcpy(w.bytes.data(), &st, sizeof st);
  f.writes.push_back(w);
  EXPECT_EQ(EventDecoder().decode(f).text,
            "fstat(3, {st_mode=S_IFREG|0644, st_size=27005, ...}) = 0");

  timespec ts{12, 345};
  Event c = call(228, {1, 0x3000}, 0);
  MemWrite tw{0x3000, std::vector<uint8_t>(sizeof ts)};
  std::memcpy(tw.bytes.data(), &ts, sizeof ts);
  c.writes.push_back(tw);
  EXPECT_EQ(EventDecoder().decode(c).text,
            "clock_gettime(CLOCK_MONOTONIC, {tv_sec=12, tv_nsec=345}) = 0");

  int fds[2] = {3, 4};
  Event p = call(293, {0x4000, O_CLOEXEC}, 0);
  MemWrite pw{0x4000, std::vector<uint8_t>(sizeof fds)};
  std::memcpy(pw.bytes.data(), fds, sizeof fds);
  p.writes.push_back(pw);
  EXPECT_EQ(EventDecoder().decode(p).text, "pipe2([3, 4], O_CLOEXEC) = 0");

  int status = 0;
  Event wt = call(61, {static_cast<uint64_t>(-1), 0x5000, 0, 0}, 1234);
  MemWrite sw{0x5000, std::vector<uint8_t>(sizeof status)};
  std::memcpy(sw.bytes.data(), &status, sizeof status);
  wt.writes.push_back(sw);
  EXPECT_EQ(EventDecoder().decode(wt).text,
            "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 1234");
}

TEST(EventDecoder, SocketAddressesAndSignalActions) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(8080);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Event a = call(43, {3, 0x6000, 0x6100}, 4);  // accept
  MemWrite w{0x6000, std::vector<uint8_t>(sizeof in)};
  std::memcpy(w.bytes.data(), &in, sizeof in);
  a.writes.push_back(w);
  EXPECT_EQ(EventDecoder(DecodeOptions{32, false}).decode(a).text,
            "accept(3, {sa_family=AF_INET, sin_port=htons(8080), "
            "sin_addr=inet_addr(\"127.0.0.1\")}, 0x6100) = 4");
  Event u = call(51, {3, 0x6000, 0x6100}, 0);  // getsockname
  const char un[] = "\1\0/tmp/sock";           // AF_UNIX, little-endian
  u.writes.push_back({0x6000, std::vector<uint8_t>(un, un + sizeof un - 1)});
  EXPECT_EQ(EventDecoder(DecodeOptions{32, false}).decode(u).text,
            "getsockname(3, {sa_family=AF_UNIX, sun_path=\"/tmp/sock\"}, 0x6100) = 0");

  struct {
    uint64_t handler, flags, restorer, mask;
  } k{1, 0x04000000 | SA_RESTART, 0x401000, uint64_t{1} << (SIGINT - 1)};
  Event sa = call(13, {SIGTERM, 0, 0x7000, 8}, 0);
  MemWrite kw{0x7000, std::vector<uint8_t>(sizeof k)};
  std::memcpy(kw.bytes.data(), &k, sizeof k);
  sa.writes.push_back(kw);
  EXPECT_EQ(EventDecoder().decode(sa).text,
            "rt_sigaction(SIGTERM, NULL, {sa_handler=SIG_IGN, sa_mask=[INT], "
            "sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x401000}, 8) = 0");
}

TEST(EventDecoder, ResultsAndOtherKinds) {
  EXPECT_EQ(EventDecoder().decode(call(12, {0}, 0x555555559000)).text,
            "brk(NULL) = 0x555555559000");
  EXPECT_EQ(EventDecoder().decode(call(231, {0}, 0)).text, "exit_group(0) = ?");
  EXPECT_EQ(EventDecoder().decode(call(999, {1, 2}, -38)).text,
            "syscall_999(0x1, 0x2, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)");

  Event ex;
  ex.kind = EventKind::Exit;
  ex.result = 7 << 8;
  EXPECT_EQ(EventDecoder().decode(ex).text, "+++ exited with 7 +++");
  ex.result = SIGSEGV | 0x80;
  EXPECT_EQ(EventDecoder().decode(ex).text, "+++ killed by SIGSEGV (core dumped) +++");

  Event sg;
  sg.kind = EventKind::Signal;
  sg.nr = SIGSEGV;
  sg.args[0] = 1;
  sg.args[1] = 0;
  EXPECT_EQ(EventDecoder().decode(sg).text, "--- SIGSEGV {si_addr=NULL} ---");

  Event en = call(0, {0, 0x7000, 10}, 0);
  en.kind = EventKind::Enter;
  EXPECT_EQ(EventDecoder().decode(en).text, "read(0, 0x7000, 10, <unfinished ...>");
}

TEST(EventJson, OneObjectWithEscapedText) {
  Event o = call(2, {0x1000, O_RDONLY, 0}, -2);
  o.add_text(blob::kPath, "a\"b");
  const DecodedEvent d = EventDecoder().decode(o);
  const std::string j = event_json(9, 1500000000, 100, 100, "syscall", &o, d, o.result);
  EXPECT_NE(j.find("\"seq\":9,"), std::string::npos) << j;
  EXPECT_NE(j.find("\"time\":1.500000000"), std::string::npos) << j;
  EXPECT_NE(j.find("\"error\":\"ENOENT\""), std::string::npos) << j;
  EXPECT_NE(j.find("{\"name\":\"pathname\",\"value\":\"\\\"a\\\\\\\"b\\\"\"}"), std::string::npos)
      << j;
  EXPECT_EQ(j.back(), '}');
}

}  // namespace
}  // namespace ckrr
