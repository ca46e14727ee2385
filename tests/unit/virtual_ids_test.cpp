#include <gtest/gtest.h>
#include <sys/syscall.h>

#include "recorder/VirtualIds.h"

namespace ckrr {
namespace {

VirtualIds ids() {
  VirtualIds v;
  v.virtual_pid = 1234;
  v.real_pid = 98765;
  return v;
}

TEST(VirtualIds, PidsTranslateOnlyTheProgramsOwn) {
  VirtualIds v = ids();
  EXPECT_EQ(v.to_real(1234), 98765);
  EXPECT_EQ(v.to_real(-1234), -98765);  // its own process group
  EXPECT_EQ(v.to_real(0), 0);
  EXPECT_EQ(v.to_real(-1), -1);
  EXPECT_EQ(v.to_real(1), 1);
  EXPECT_EQ(v.to_virtual(98765), 1234);
  EXPECT_EQ(v.to_virtual(55), 55);
}

TEST(VirtualIds, ProcPaths) {
  VirtualIds v = ids();
  EXPECT_EQ(v.translate_proc_path("/proc/1234/status"), "/proc/98765/status");
  EXPECT_EQ(v.translate_proc_path("/proc/1234"), "/proc/98765");
  EXPECT_EQ(v.translate_proc_path("/proc/1234/task/1234/stat"), "/proc/98765/task/98765/stat");
  EXPECT_EQ(v.translate_proc_path("/proc/self/task/1234/comm"), "/proc/self/task/98765/comm");
  // Another pid that merely starts with the same digits, or other files: unchanged.
  EXPECT_EQ(v.translate_proc_path("/proc/12345/status"), std::nullopt);
  EXPECT_EQ(v.translate_proc_path("/proc/self/status"), std::nullopt);
  EXPECT_EQ(v.translate_proc_path("/tmp/proc/1234"), std::nullopt);
  EXPECT_EQ(v.translate_proc_path("proc/1234"), std::nullopt);
}

TEST(VirtualIds, NothingToDoWhenTheRealPidIsTheSame) {
  VirtualIds v;
  v.virtual_pid = v.real_pid = 77;
  EXPECT_EQ(v.to_real(77), 77);
  EXPECT_EQ(v.translate_proc_path("/proc/77/maps"), std::nullopt);
}

// Restarted with two threads, from a checkpoint that thread 1235 took: it runs as the real
// leader (98765), the recorded leader 1234 as the restored clone 98766.
TEST(VirtualIds, ThreadsKeepTheirRecordedTids) {
  VirtualIds v = ids();
  v.tids = {{1234, 98766}, {1235, 98765}};
  EXPECT_FALSE(v.identity());
  EXPECT_EQ(v.to_real(1234), 98765);      // as a process: the process
  EXPECT_EQ(v.tid_to_real(1234), 98766);  // as a thread: that thread
  EXPECT_EQ(v.tid_to_real(1235), 98765);
  EXPECT_EQ(v.tid_to_real(4321), 4321);  // a thread created after the restart
  EXPECT_EQ(v.tid_to_virtual(98765), 1235);
  EXPECT_EQ(v.tid_to_virtual(98766), 1234);
  EXPECT_EQ(v.translate_proc_path("/proc/1234/task/1234/stat"), "/proc/98765/task/98766/stat");
  EXPECT_EQ(v.translate_proc_path("/proc/1234/task/1235"), "/proc/98765/task/98765");
  EXPECT_EQ(v.translate_proc_path("/proc/1235/comm"), "/proc/98765/comm");
  EXPECT_EQ(v.translate_proc_path("/proc/self/task/1234/comm"), "/proc/self/task/98766/comm");
  EXPECT_EQ(v.translate_proc_path("/proc/7/task/1235"), std::nullopt);  // not its own
  EXPECT_TRUE(VirtualIds::is_tid_arg(SYS_tgkill, 1));
  EXPECT_FALSE(VirtualIds::is_tid_arg(SYS_tgkill, 0));
  EXPECT_TRUE(VirtualIds::is_tid_arg(SYS_tkill, 0));
  EXPECT_FALSE(VirtualIds::is_tid_arg(SYS_kill, 0));
}

TEST(VirtualIds, WhichArgumentsArePidsOrPaths) {
  EXPECT_EQ(VirtualIds::pid_args(SYS_kill), std::vector<int>{0});
  EXPECT_EQ(VirtualIds::pid_args(SYS_tgkill), (std::vector<int>{0, 1}));
  EXPECT_TRUE(VirtualIds::pid_args(SYS_read).empty());
  EXPECT_EQ(VirtualIds::path_arg(SYS_openat), 1);
  EXPECT_EQ(VirtualIds::path_arg(SYS_open), 0);
  EXPECT_EQ(VirtualIds::path_arg(SYS_write), -1);
}

}  // namespace
}  // namespace ckrr
