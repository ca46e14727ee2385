#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>

#include "core/Error.h"
#include "storage/TraceDirectory.h"
#include "storage_test_util.h"

namespace ckrr {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TraceDirectory, CreateIsPrivateAndVersioned) {
  TempDir tmp;
  mode_t old = ::umask(0);  // the modes must not depend on the umask
  auto t = TraceDirectory::create(tmp / "a/b/trace", false);
  ::umask(old);
  EXPECT_EQ(t.dir(), tmp / "a/b/trace");
  EXPECT_EQ(test::mode_of(t.dir()), 0700u);
  EXPECT_EQ(test::mode_of(t.dir() / "VERSION"), 0600u);
  EXPECT_EQ(test::mode_of(t.files_dir()), 0700u);
  EXPECT_EQ(test::mode_of(t.checkpoints_dir()), 0700u);
  EXPECT_EQ(test::read_file(t.dir() / "VERSION"), "ckrr-trace 2\n");
  EXPECT_EQ(t.events_log(), t.dir() / "events.log");
  EXPECT_EQ(t.index_db(), t.dir() / "timeline.db");
  EXPECT_EQ(TraceDirectory::open(t.dir()).dir(), t.dir());
}

TEST(TraceDirectory, ExistingTraceNeedsForce) {
  TempDir tmp;
  auto dir = tmp / "trace";
  TraceDirectory::create(dir, false);
  test::write_file(dir / "events.log", "old");
  EXPECT_EQ(error_of([&] { TraceDirectory::create(dir, false); }),
            dir.string() + " already exists (use --force to replace it)");
  EXPECT_TRUE(fs::exists(dir / "events.log"));

  TraceDirectory::create(dir, true);
  EXPECT_FALSE(fs::exists(dir / "events.log"));
  EXPECT_EQ(test::read_file(dir / "VERSION"), "ckrr-trace 2\n");
}

TEST(TraceDirectory, ForceNeverDeletesWhatIsNotATrace) {
  TempDir tmp;
  auto dir = tmp / "project";
  fs::create_directory(dir);
  test::write_file(dir / "precious.c", "int main() {}");
  std::string msg = error_of([&] { TraceDirectory::create(dir, true); });
  EXPECT_NE(msg.find("not a ckrr trace"), std::string::npos) << msg;
  EXPECT_TRUE(fs::exists(dir / "precious.c"));

  // A VERSION file of some other tool does not make it a trace.
  test::write_file(dir / "VERSION", "1.2.3\n");
  EXPECT_NE(error_of([&] { TraceDirectory::create(dir, true); }), "(no error)");
  EXPECT_TRUE(fs::exists(dir / "precious.c"));

  // A plain file is never replaced.
  test::write_file(tmp / "file", "x");
  EXPECT_NE(error_of([&] { TraceDirectory::create(tmp / "file", true); }), "(no error)");
  EXPECT_EQ(test::read_file(tmp / "file"), "x");
}

TEST(TraceDirectory, EmptyDirectoryIsUsedWithoutForce) {
  TempDir tmp;
  auto dir = tmp / "empty";
  fs::create_directory(dir);
  ::chmod(dir.c_str(), 0755);
  TraceDirectory::create(dir, false);
  EXPECT_EQ(test::mode_of(dir), 0700u);
  EXPECT_TRUE(fs::exists(dir / "VERSION"));
}

TEST(TraceDirectory, OpenErrors) {
  TempDir tmp;
  auto open_error = [](const fs::path& p) {
    try {
      TraceDirectory::open(p);
    } catch (const TraceError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  std::string msg = open_error(tmp / "missing");
  EXPECT_NE(msg.find((tmp / "missing").string()), std::string::npos) << msg;

  fs::create_directory(tmp / "plain");
  msg = open_error(tmp / "plain");
  EXPECT_NE(msg.find((tmp / "plain").string() + ": not a ckrr trace"), std::string::npos) << msg;

  auto t = TraceDirectory::create(tmp / "future", false);
  test::write_file(t.dir() / "VERSION", "ckrr-trace 3\n");
  msg = open_error(t.dir());
  EXPECT_NE(msg.find("trace format version 3"), std::string::npos) << msg;

  test::write_file(t.dir() / "VERSION", "something else\n");
  msg = open_error(t.dir());
  EXPECT_NE(msg.find("something else"), std::string::npos) << msg;
}

TEST(TraceDirectory, DefaultLocationPicksTheFirstFreeNumber) {
  TempDir tmp;
  fs::path old_cwd = fs::current_path();
  fs::current_path(tmp.path());
  struct Restore {
    fs::path p;
    ~Restore() { fs::current_path(p); }
  } restore{old_cwd};

  auto p1 = TraceDirectory::default_location("/usr/bin/python3");
  EXPECT_EQ(p1, fs::path("ckrr-traces/python3-1"));
  EXPECT_EQ(test::mode_of("ckrr-traces"), 0700u);
  auto p2 = TraceDirectory::default_location("python3");
  EXPECT_EQ(p2, fs::path("ckrr-traces/python3-2"));
  fs::create_directory("ckrr-traces/python3-3");
  EXPECT_EQ(TraceDirectory::default_location("./python3"), fs::path("ckrr-traces/python3-4"));
  // The reserved (empty) directory is accepted by create().
  auto t = TraceDirectory::create(p1, false);
  EXPECT_TRUE(fs::exists(t.dir() / "VERSION"));
}

}  // namespace
}  // namespace ckrr
