// The syscall table: every x86-64 syscall number has exactly one decided policy, owned by a
// registered plugin, and every number (known, unknown or invalid) reaches a plugin.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <cstring>
#include <set>
#include <string>

#include "core/Error.h"
#include "core/SyscallNames.h"
#include "plugins/BlockingSyscalls.h"
#include "plugins/PluginRegistry.h"
#include "plugins/SyscallEffects.h"
#include "plugins/SyscallTable.h"

namespace ckrr {
namespace {

TEST(SyscallTable, EveryNamedNumberHasOnePolicy) {
  int named = 0;
  for (long nr = 0; nr < 1024; ++nr) {
    const char* name = syscall_name(nr);
    const SyscallSpec* spec = syscall_spec(nr);
    if (!name) {
      EXPECT_EQ(spec, nullptr) << "policy for a number with no name: " << nr;
      continue;
    }
    ++named;
    ASSERT_NE(spec, nullptr) << "no policy for " << name << " (" << nr << ")";
    EXPECT_EQ(spec->nr, nr);
    EXPECT_STREQ(spec->name, name) << nr;
  }
  EXPECT_GE(named, 370);  // the x86-64 table of a 6.x kernel
  EXPECT_EQ(syscall_spec(-1), nullptr);
  EXPECT_EQ(syscall_spec(syscall_table_end()), nullptr);
}

TEST(SyscallTable, RowsAreInOrderAndUnique) {
  long last = -1;
  for (const SyscallSpec& s : syscall_table()) {
    EXPECT_GT(s.nr, last) << s.name;
    last = s.nr;
  }
}

TEST(SyscallTable, OwnersAreRegisteredPlugins) {
  PluginRegistry r = PluginRegistry::with_builtin_plugins();
  for (const SyscallSpec& s : syscall_table()) {
    Plugin* p = r.find(s.plugin);
    ASSERT_NE(p, nullptr) << s.name << " names plugin " << s.plugin;
    EXPECT_EQ(r.owner(s.nr), p) << s.name;
    EXPECT_EQ(r.default_mode(s.nr), replay_mode_of(s.action)) << s.name;
  }
}

TEST(SyscallTable, EveryNumberReachesAPlugin) {
  PluginRegistry r = PluginRegistry::with_builtin_plugins();
  for (long nr : {-100L, -1L, 335L, 400L, 423L, 511L, 512L, 999L, 100000L, 0x40000027L}) {
    ASSERT_NE(r.owner(nr), nullptr) << nr;
    EXPECT_STREQ(r.owner(nr)->name(), "kernel") << nr;
    EXPECT_EQ(r.default_mode(nr), ReplayMode::Emulate) << nr;
  }
}

TEST(SyscallTable, NotationsParse) {
  for (const SyscallSpec& s : syscall_table()) {
    EXPECT_NO_THROW(check_writes_notation(s.writes)) << s.name;
    std::string fd = s.fd;
    if (!fd.empty()) {
      EXPECT_TRUE(fd.starts_with("file:") || fd.starts_with("other:")) << s.name << ": " << fd;
    }
  }
  EXPECT_THROW(check_writes_notation("a9:16"), Error);
  EXPECT_THROW(check_writes_notation("a1"), Error);
  EXPECT_THROW(check_writes_notation("a1:ret-3"), Error);
  EXPECT_NO_THROW(check_writes_notation("a1:ret+8,a3:4,a4:a1*4"));
}

TEST(SyscallTable, AllowedCallsReturnNothingFromOutside) {
  PluginRegistry r = PluginRegistry::with_builtin_plugins();
  std::set<int> allowed;
  for (int nr : r.allowed_syscalls()) allowed.insert(nr);
  EXPECT_TRUE(allowed.count(SYS_munmap));
  EXPECT_TRUE(allowed.count(SYS_rt_sigprocmask));
  // Calls that return outside data must never run unrecorded.
  for (int nr : {SYS_read, SYS_clock_gettime, SYS_getrandom, SYS_getpid, SYS_recvfrom, SYS_futex,
                 SYS_msgrcv, SYS_sigaltstack})
    EXPECT_EQ(allowed.count(nr), 0u) << syscall_display_name(nr);
}

TEST(SyscallTable, WaitingFollowsTheTable) {
  ProcessState proc;
  uint64_t none[6] = {};
  EXPECT_TRUE(may_block(SYS_msgrcv, none, proc));
  EXPECT_TRUE(may_block(SYS_semop, none, proc));
  EXPECT_TRUE(may_block(SYS_mq_timedreceive, none, proc));
  EXPECT_FALSE(may_block(SYS_getpid, none, proc));
  EXPECT_FALSE(may_block(SYS_shmget, none, proc));
  EXPECT_TRUE(may_block(SYS_read, none, proc));  // an fd ckrr does not know: maybe a pipe
  EXPECT_TRUE(may_block(999, none, proc));       // unknown: might wait
  EXPECT_FALSE(may_block(-1, none, proc));       // invalid: ENOSYS at once
}

TEST(SyscallTable, RefusedCallsAreTheAsynchronousOnes) {
  std::set<std::string> refused;
  for (const SyscallSpec& s : syscall_table())
    if (s.action == SyscallAction::Refuse) refused.insert(s.name);
  EXPECT_EQ(refused, (std::set<std::string>{"io_uring_setup", "memfd_secret", "userfaultfd"}));
}

}  // namespace
}  // namespace ckrr
