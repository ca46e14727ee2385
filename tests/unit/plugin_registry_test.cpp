// The plugin layer: each syscall has exactly one owner, registration is one call, and the
// seccomp allow-list never includes a call that returns outside data.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <algorithm>
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
  // Numbers nobody owns are recorded conservatively by the kernel plugin.
  EXPECT_STREQ(r.owner(-1)->name(), "kernel");
  EXPECT_STREQ(r.owner(100000)->name(), "kernel");
}

TEST(PluginRegistry, AllowListDisjointFromClaims) {
  PluginRegistry r = PluginRegistry::with_builtin_plugins();
  std::vector<int> allowed = r.allowed_syscalls();
  EXPECT_FALSE(allowed.empty());
  // Should one stop anyway, it is re-executed: deterministic given the process state.
  for (int nr : allowed) EXPECT_EQ(r.default_mode(nr), ReplayMode::Reexecute) << nr;
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
  constexpr int kFree = 500;  // no x86-64 syscall has this number (yet)
  ASSERT_STREQ(r.owner(kFree)->name(), "kernel");
  r.add(std::make_unique<CountingPlugin>(kFree));
  EXPECT_STREQ(r.owner(kFree)->name(), "counting");
  EXPECT_EQ(r.find("counting"), r.owner(kFree));
}

TEST(PluginRegistry, DoubleClaimRefused) {
  PluginRegistry r = PluginRegistry::with_builtin_plugins();
  EXPECT_THROW(r.add(std::make_unique<CountingPlugin>(SYS_read)), Error);
}

class TakeoverPlugin : public Plugin {
 public:
  TakeoverPlugin(const char* name, int nr, bool takeover) : name_(name), nr_(nr), take_(takeover) {}
  const char* name() const override { return name_; }
  std::vector<SyscallClaim> claims() const override { return {{nr_, ReplayMode::Emulate, take_}}; }

 private:
  const char* name_;
  int nr_;
  bool take_;
};

// A loaded plugin (--plugin) replaces a built-in's syscall only when it says so, never another
// loaded plugin's; a taken-over Allow call stops at the supervisor again.
TEST(PluginRegistry, Takeover) {
  PluginRegistry r = PluginRegistry::with_builtin_plugins();
  try {
    r.add(std::make_unique<TakeoverPlugin>("a", SYS_uname, false), true);
    FAIL() << "claim without takeover accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("takeover"), std::string::npos) << e.what();
  }
  EXPECT_THROW(r.add(std::make_unique<TakeoverPlugin>("b", SYS_uname, true)), Error);  // built-in
  r.add(std::make_unique<TakeoverPlugin>("c", SYS_uname, true), true);
  EXPECT_STREQ(r.owner(SYS_uname)->name(), "c");
  EXPECT_THROW(r.add(std::make_unique<TakeoverPlugin>("d", SYS_uname, true), true), Error);
  // Calls the in-process agent may run unseen are not for plugins.
  EXPECT_THROW(r.add(std::make_unique<TakeoverPlugin>("f", SYS_read, true), true), Error);
  std::vector<int> allowed = r.allowed_syscalls();
  ASSERT_FALSE(allowed.empty());
  const int nr = allowed.front();
  r.add(std::make_unique<TakeoverPlugin>("e", nr, true), true);
  allowed = r.allowed_syscalls();
  EXPECT_EQ(std::count(allowed.begin(), allowed.end(), nr), 0);
}

}  // namespace
}  // namespace ckrr
