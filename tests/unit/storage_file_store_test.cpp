#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "core/Error.h"
#include "core/Sha256.h"
#include "storage/FileStore.h"
#include "storage_test_util.h"

namespace ckrr {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = char(rng());
  return s;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FileStore, SavesUnderContentHashWithPrivateModes) {
  TempDir src, trace;
  std::string content = random_bytes(3 * 1024 * 1024 + 17, 1);  // several copy buffers
  test::write_file(src / "libfoo.so.1", content);
  FileStore store(trace.path());
  std::string rel = store.save_path(src / "libfoo.so.1");
  std::string hash = Sha256::hex_of(content.data(), content.size());
  EXPECT_EQ(rel, "files/" + hash + "/libfoo.so.1");
  EXPECT_EQ(store.resolve(rel), trace / rel);
  EXPECT_EQ(test::read_file(store.resolve(rel)), content);
  EXPECT_EQ(test::mode_of(store.resolve(rel)), 0600u);
  EXPECT_EQ(test::mode_of(trace / "files"), 0700u);
  EXPECT_EQ(test::mode_of(trace / ("files/" + hash)), 0700u);
  EXPECT_EQ(store.bytes_added(), content.size());
  // Only the final name, no leftover temporary file.
  EXPECT_EQ(names_in(trace / ("files/" + hash)), std::vector<std::string>{"libfoo.so.1"});
}

TEST(FileStore, SameContentIsStoredOnce) {
  TempDir src, trace;
  std::string content = random_bytes(100000, 2);
  test::write_file(src / "a.so", content);
  fs::create_directory(src / "other");
  test::write_file(src / "other/a.so", content);  // another inode, same bytes
  test::write_file(src / "b.so", content);

  FileStore store(trace.path());
  std::string r1 = store.save_path(src / "a.so");
  EXPECT_EQ(store.save_path(src / "a.so"), r1);  // cached
  EXPECT_EQ(store.save_path(src / "other/a.so"), r1);
  EXPECT_EQ(store.bytes_added(), content.size());

  // Same content, other basename: its own name, but a link to the same copy.
  std::string r2 = store.save_path(src / "b.so");
  EXPECT_NE(r2, r1);
  EXPECT_EQ(fs::path(r2).parent_path(), fs::path(r1).parent_path());
  EXPECT_EQ(store.bytes_added(), content.size());
  struct stat s1, s2;
  ASSERT_EQ(::stat(store.resolve(r1).c_str(), &s1), 0);
  ASSERT_EQ(::stat(store.resolve(r2).c_str(), &s2), 0);
  EXPECT_EQ(s1.st_ino, s2.st_ino);

  // A second store over the same trace finds the existing copy on disk.
  FileStore again(trace.path());
  EXPECT_EQ(again.save_path(src / "a.so"), r1);
  EXPECT_EQ(again.bytes_added(), 0u);
}

TEST(FileStore, StoredCopySurvivesChangesToTheSource) {
  TempDir src, trace;
  FileStore store(trace.path());
  test::write_file(src / "prog", "version one");
  std::string r1 = store.save_path(src / "prog");
  test::write_file(src / "prog", "version two, longer");  // same inode, rewritten
  std::string r2 = store.save_path(src / "prog");
  EXPECT_NE(r1, r2);
  EXPECT_EQ(test::read_file(store.resolve(r1)), "version one");
  EXPECT_EQ(test::read_file(store.resolve(r2)), "version two, longer");
  EXPECT_EQ(store.bytes_added(), 11u + 19u);
  fs::remove(src / "prog");
  EXPECT_EQ(test::read_file(store.resolve(r1)), "version one");
}

TEST(FileStore, SaveFdLeavesTheOffsetAlone) {
  TempDir src, trace;
  test::write_file(src / "data", "0123456789");
  int fd = ::open((src / "data").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::lseek(fd, 4, SEEK_SET), 4);
  FileStore store(trace.path());
  std::string rel = store.save_fd(fd, "renamed");
  EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 4);
  ::close(fd);
  EXPECT_EQ(fs::path(rel).filename(), "renamed");
  EXPECT_EQ(test::read_file(store.resolve(rel)), "0123456789");
}

TEST(FileStore, EmptyFileAndOddNames) {
  TempDir src, trace;
  test::write_file(src / "empty", "");
  FileStore store(trace.path());
  std::string rel = store.save_path(src / "empty");
  EXPECT_EQ(rel, "files/" + Sha256::hex_of("", 0) + "/empty");
  EXPECT_EQ(test::read_file(store.resolve(rel)), "");
  int fd = ::open((src / "empty").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  // A basename is one path component, whatever the caller passes.
  EXPECT_EQ(fs::path(store.save_fd(fd, "..")).parent_path().filename(), Sha256::hex_of("", 0));
  EXPECT_EQ(fs::path(store.save_fd(fd, "a/b")).filename(), "a_b");
  ::close(fd);
}

TEST(FileStore, MissingSourceIsAnError) {
  TempDir trace;
  FileStore store(trace.path());
  try {
    store.save_path(trace / "nope");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope: No such file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ckrr
