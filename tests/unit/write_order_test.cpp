// How a write starts (recorder/WriteOrder), on real fds of this process: alone where it cannot
// wait, with an `enter` where it may wait for a reader, parked behind another thread's write to
// the same object until that one is over.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <future>
#include <thread>

#include "core/Task.h"
#include "recorder/WriteOrder.h"

namespace ckrr {
namespace {

pid_t tid() {
  return static_cast<pid_t>(syscall(SYS_gettid));
}

// A thread of this process that stays alive until `release` is set, and its tid.
struct OtherThread {
  std::promise<void> release;
  std::promise<pid_t> started;
  std::thread th{[this] {
    started.set_value(tid());
    release.get_future().wait();
  }};
  pid_t id = started.get_future().get();
  ~OtherThread() {
    release.set_value();
    th.join();
  }
};

// A pipe whose buffer is full (its write end stays blocking).
void fill(int wfd) {
  int fl = fcntl(wfd, F_GETFL);
  fcntl(wfd, F_SETFL, fl | O_NONBLOCK);
  char page[4096] = {};
  while (write(wfd, page, sizeof page) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
  fcntl(wfd, F_SETFL, fl);
}

TEST(WriteOrder, FilesAndPipesWithRoomRunAlone) {
  Task self(tid(), getpid());
  WriteOrder w;
  char path[] = "/tmp/ckrr-write-order-XXXXXX";
  int file = mkstemp(path);
  ASSERT_GE(file, 0);
  unlink(path);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  uint64_t to_file[6] = {static_cast<uint64_t>(file), 0, 100};
  uint64_t to_pipe[6] = {static_cast<uint64_t>(p[1]), 0, 100};
  uint64_t too_big[6] = {static_cast<uint64_t>(p[1]), 0, 1 << 20};
  EXPECT_EQ(w.at_entry(self, SYS_write, to_file), WriteOrder::Start::Alone);
  EXPECT_EQ(w.at_entry(self, SYS_write, to_pipe), WriteOrder::Start::Alone);
  EXPECT_EQ(w.at_entry(self, SYS_write, too_big), WriteOrder::Start::Enter);
  close(file);
  close(p[0]);
  close(p[1]);
}

TEST(WriteOrder, FullPipesAndBlockingSocketsEnterNonBlockingOnesRunAlone) {
  Task self(tid(), getpid());
  WriteOrder w;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  fill(p[1]);
  uint64_t to_pipe[6] = {static_cast<uint64_t>(p[1]), 0, 1};
  EXPECT_EQ(w.at_entry(self, SYS_write, to_pipe), WriteOrder::Start::Enter);
  fcntl(p[1], F_SETFL, O_NONBLOCK);  // fails with EAGAIN instead of waiting
  EXPECT_EQ(w.at_entry(self, SYS_write, to_pipe), WriteOrder::Start::Alone);
  int s[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
  uint64_t send[6] = {static_cast<uint64_t>(s[0]), 0, 10, 0};
  EXPECT_EQ(w.at_entry(self, SYS_sendto, send), WriteOrder::Start::Enter);
  send[3] = MSG_DONTWAIT;
  EXPECT_EQ(w.at_entry(self, SYS_sendto, send), WriteOrder::Start::Alone);
  for (int fd : {p[0], p[1], s[0], s[1]}) close(fd);
}

TEST(WriteOrder, AWriteToABusyObjectWaitsUntilTheHolderIsDone) {
  OtherThread other;
  Task self(tid(), getpid());
  Task them(other.id, getpid());
  WriteOrder w;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  fill(p[1]);
  int again = dup(p[1]);  // another fd, the same pipe
  char path[] = "/tmp/ckrr-write-order-XXXXXX";
  int file = mkstemp(path);
  unlink(path);
  uint64_t to_pipe[6] = {static_cast<uint64_t>(p[1]), 0, 1};
  uint64_t to_same_pipe[6] = {static_cast<uint64_t>(again), 0, 1};
  uint64_t to_file[6] = {static_cast<uint64_t>(file), 0, 1};
  ASSERT_EQ(w.at_entry(self, SYS_write, to_pipe), WriteOrder::Start::Enter);
  EXPECT_EQ(w.at_entry(them, SYS_write, to_file), WriteOrder::Start::Alone);
  EXPECT_EQ(w.at_entry(them, SYS_writev, to_same_pipe), WriteOrder::Start::Wait);
  EXPECT_EQ(w.waits(), 1u);
  EXPECT_TRUE(w.release_finished([](pid_t) { return false; }).empty());
  std::vector<pid_t> go = w.release_finished([&](pid_t h) { return h == tid(); });
  ASSERT_EQ(go.size(), 1u);
  EXPECT_EQ(go[0], other.id);
  EXPECT_TRUE(w.idle());
  // A late `enter` (a write that waited anyway) makes the object busy too.
  w.hold(tid(), SYS_write, to_file);
  EXPECT_EQ(w.at_entry(them, SYS_write, to_file), WriteOrder::Start::Wait);
  for (int fd : {p[0], p[1], again, file}) close(fd);
}

}  // namespace
}  // namespace ckrr
