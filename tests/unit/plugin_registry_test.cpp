// The plugin layer: each syscall has exactly one owner, registration is one call, and the
// seccomp allow-list never overlaps what plugins record.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <set>

#include "core/Error.h"
#include "plugins/PluginRegistry.h"

namespace ckrr {
namespace {

TEST(PluginRegistry, BuiltinOwners) {
  PluginRegistry r = PluginRegistry::with_builtin_plugins();
  EXPECT_STREQ(r.owner(SYS_read)->name(), "files");
  EXPECT_STREQ(r.owner(SYS_clock_gettime)->name(), "time");
  EXPECT_STREQ(r.owner(SYS_getrandom)->name(), "random");
  EXPECT_STREQ(r.owner(SYS_getpid)->name(), "ids");
  EXPECT_STREQ(r.owner(SYS_mmap)->name(), "memory");
  EXPECT_STREQ(r.owner(SYS_ioctl)->name(), "terminal");
  EXPECT_STREQ(r.owner(SYS_recvfrom)->name(), "net");
  EXPECT_STREQ(r.owner(SYS_poll)->name(), "poll");
  EXPECT_EQ(r.default_mode(SYS_read), ReplayMode::Emulate);
  EXPECT_EQ(r.default_mode(SYS_mmap), ReplayMode::Reexecute);
  EXPECT_EQ(r.owner(-1), nullptr);
  EXPECT_EQ(r.owner(100000), nullptr);
}

TEST(PluginRegistry, AllowListDisjointFromClaims) {
  PluginRegistry r = PluginRegistry::with_builtin_plugins();
  std::vector<int> allowed = r.allowed_syscalls();
  EXPECT_FALSE(allowed.empty());
  for (int nr : allowed) EXPECT_EQ(r.owner(nr), nullptr) << nr;
  // Syscalls that return outside data must never run unrecorded.
  std::set<int> a(allowed.begin(), allowed.end());
  for (int nr : {SYS_read, SYS_clock_gettime, SYS_getrandom, SYS_getpid, SYS_recvfrom})
    EXPECT_EQ(a.count(nr), 0u) << nr;
}

class CountingPlugin : public Plugin {
 public:
  explicit CountingPlugin(int nr) : nr_(nr) {}
  const char* name() const override { return "counting"; }
  std::vector<SyscallClaim> claims() const override { return {{nr_, ReplayMode::Emulate}}; }

 private:
  int nr_;
};

TEST(PluginRegistry, NewPluginIsOneLine) {
  PluginRegistry r = PluginRegistry::with_builtin_plugins();
  ASSERT_EQ(r.owner(SYS_sync_file_range), nullptr);
  r.add(std::make_unique<CountingPlugin>(SYS_sync_file_range));
  ASSERT_NE(r.owner(SYS_sync_file_range), nullptr);
  EXPECT_STREQ(r.owner(SYS_sync_file_range)->name(), "counting");
  EXPECT_EQ(r.find("counting"), r.owner(SYS_sync_file_range));
}

TEST(PluginRegistry, DoubleClaimRefused) {
  PluginRegistry r = PluginRegistry::with_builtin_plugins();
  EXPECT_THROW(r.add(std::make_unique<CountingPlugin>(SYS_read)), Error);
}

}  // namespace
}  // namespace ckrr
