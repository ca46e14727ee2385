// The pieces the thread scheduler relies on: which calls may block, which points an execution
// breakpoint can find again, and the robust-list walk replay does for a dying thread.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "core/ExecutionPoint.h"
#include "core/RobustList.h"
#include "core/Task.h"
#include "plugins/BlockingSyscalls.h"
#include "plugins/ProcessState.h"

namespace ckrr {
namespace {

TEST(BlockingSyscalls, ReadsAndWritesBlockOnPipesNotFiles) {
  ProcessState p;
  p.fds[3] = FdEntry{FdEntry::Kind::File, "/etc/passwd"};
  p.fds[4] = FdEntry{FdEntry::Kind::Pipe, "pipe:r"};
  uint64_t on_file[6] = {3, 0, 10}, on_pipe[6] = {4, 0, 10};
  EXPECT_FALSE(may_block(SYS_read, on_file, p));
  EXPECT_TRUE(may_block(SYS_read, on_pipe, p));
  EXPECT_TRUE(may_block(SYS_write, on_pipe, p));
  uint64_t unknown_fd[6] = {9, 0, 10};
  EXPECT_TRUE(may_block(SYS_read, unknown_fd, p));  // not in the model: assume it may
}

TEST(BlockingSyscalls, FutexWaitsBlockWakesDoNot) {
  ProcessState p;
  uint64_t wait[6] = {0x1000, FUTEX_WAIT_PRIVATE, 0}, wake[6] = {0x1000, FUTEX_WAKE_PRIVATE, 1};
  uint64_t bitset[6] = {0x1000, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0};
  EXPECT_TRUE(may_block(SYS_futex, wait, p));
  EXPECT_TRUE(may_block(SYS_futex, bitset, p));
  EXPECT_FALSE(may_block(SYS_futex, wake, p));
}

TEST(BlockingSyscalls, WaitsWithoutWnohangAndZeroTimeoutPolls) {
  ProcessState p;
  uint64_t wait_block[6] = {uint64_t(-1), 0, 0}, wait_nohang[6] = {uint64_t(-1), 0, WNOHANG};
  EXPECT_TRUE(may_block(SYS_wait4, wait_block, p));
  EXPECT_FALSE(may_block(SYS_wait4, wait_nohang, p));
  uint64_t poll_now[6] = {0x1000, 1, 0}, poll_forever[6] = {0x1000, 1, uint64_t(-1)};
  EXPECT_FALSE(may_block(SYS_poll, poll_now, p));
  EXPECT_TRUE(may_block(SYS_poll, poll_forever, p));
  uint64_t none[6] = {};
  EXPECT_TRUE(may_block(SYS_sched_yield, none, p));  // a switch point
  EXPECT_FALSE(may_block(SYS_getpid, none, p));
}

TEST(ExecutionPoint, RepStringInstructionsAreNotFindable) {
  const uint8_t rep_movsb[] = {0xf3, 0xa4};
  const uint8_t rep_movsq[] = {0xf3, 0x48, 0xa5};
  const uint8_t repne_scasb[] = {0xf2, 0xae};
  const uint8_t rep_stos_seg[] = {0x64, 0xf3, 0xab};
  const uint8_t movsb[] = {0xa4};          // no rep: one step, a breakpoint finds it
  const uint8_t rep_ret[] = {0xf3, 0xc3};  // "rep ret": not a string instruction
  const uint8_t pause[] = {0xf3, 0x90};    // pause is f3 90
  EXPECT_TRUE(is_rep_string_insn(rep_movsb, sizeof rep_movsb));
  EXPECT_TRUE(is_rep_string_insn(rep_movsq, sizeof rep_movsq));
  EXPECT_TRUE(is_rep_string_insn(repne_scasb, sizeof repne_scasb));
  EXPECT_TRUE(is_rep_string_insn(rep_stos_seg, sizeof rep_stos_seg));
  EXPECT_FALSE(is_rep_string_insn(movsb, sizeof movsb));
  EXPECT_FALSE(is_rep_string_insn(rep_ret, sizeof rep_ret));
  EXPECT_FALSE(is_rep_string_insn(pause, sizeof pause));
}

TEST(ExecutionPoint, PointRegistersIgnoreOnlyResumeAndTrapFlags) {
  Registers a{}, b{};
  a.rip = b.rip = 0x401000;
  a.rcx = b.rcx = 7;
  a.eflags = 0x246;
  b.eflags = 0x246 | (1u << 16) | (1u << 8);  // RF and TF set by the debug machinery
  EXPECT_TRUE(same_point_registers(a, b));
  b.eflags = 0x247;  // carry differs: another state
  EXPECT_FALSE(same_point_registers(a, b));
  b = a;
  b.fs_base = 0x1234;  // another thread's TLS
  EXPECT_FALSE(same_point_registers(a, b));
}

// A child with a robust list of two mutexes (one owned by `owner`, with waiters; one by
// someone else), stopped under ptrace: the walk marks exactly the first.
struct RobustHead {
  uint64_t next;
  int64_t futex_offset;
  uint64_t pending;
};
struct RobustMutex {
  uint64_t next;  // the list entry
  uint32_t word;  // the futex word, at futex_offset from the entry
};
RobustHead g_head;
RobustMutex g_m1, g_m2;

TEST(RobustList, MarksTheDyingOwnersFutexes) {
  const pid_t owner = 4242;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    g_m1.word = owner | FUTEX_WAITERS;
    g_m2.word = 77;
    g_head.futex_offset = offsetof(RobustMutex, word);
    g_head.next = reinterpret_cast<uint64_t>(&g_m1);
    g_m1.next = reinterpret_cast<uint64_t>(&g_m2);
    g_m2.next = reinterpret_cast<uint64_t>(&g_head);
    syscall(SYS_set_robust_list, &g_head, sizeof g_head);
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    raise(SIGSTOP);
    _exit(0);
  }
  int st;
  ASSERT_EQ(waitpid(child, &st, 0), child);
  ASSERT_TRUE(WIFSTOPPED(st));
  {
    Task t(child, child);
    EXPECT_EQ(mark_robust_futexes_dead(t, owner), 1);
    uint32_t w1 = t.read_val<uint32_t>(reinterpret_cast<uint64_t>(&g_m1.word));
    uint32_t w2 = t.read_val<uint32_t>(reinterpret_cast<uint64_t>(&g_m2.word));
    EXPECT_EQ(w1, uint32_t(FUTEX_OWNER_DIED | FUTEX_WAITERS));
    EXPECT_EQ(w2, 77u);
    EXPECT_EQ(mark_robust_futexes_dead(t, owner), 0);  // nothing left owned by it
  }
  kill(child, SIGKILL);
  waitpid(child, &st, 0);
}

}  // namespace
}  // namespace ckrr
