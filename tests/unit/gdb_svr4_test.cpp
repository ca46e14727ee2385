#include <gtest/gtest.h>
#include <link.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "replayer/gdb/Svr4Libraries.h"

namespace ckrr::gdb {
namespace {

std::vector<uint8_t> own_auxv() {
  std::ifstream f("/proc/self/auxv", std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Reads this process's memory through /proc/self/mem, so unmapped addresses fail cleanly.
size_t read_self(uint64_t addr, void* out, size_t len) {
  static std::ifstream mem("/proc/self/mem", std::ios::binary);
  mem.clear();
  mem.seekg(static_cast<std::streamoff>(addr));
  mem.read(static_cast<char*>(out), static_cast<std::streamsize>(len));
  return mem ? len : 0;
}

int count_objects(dl_phdr_info*, size_t, void* n) {
  ++*static_cast<int*>(n);
  return 0;
}

TEST(GdbSvr4Libraries, WalksThisProcessesLinkMap) {
  auto list = read_svr4_libraries(read_self, own_auxv());
  ASSERT_TRUE(list);
  EXPECT_NE(list->main_lm, 0u);
  int objects = 0;
  dl_iterate_phdr(count_objects, &objects);
  EXPECT_EQ(static_cast<int>(list->libraries.size()) + 1, objects);
  bool libc = false;
  for (const Svr4Library& l : list->libraries) {
    if (l.name.find("libc.so") != std::string::npos) libc = true;
    EXPECT_NE(l.lm, 0u);
  }
  EXPECT_TRUE(libc);
}

TEST(GdbSvr4Libraries, RejectsMissingOrUnreadableHeaders) {
  EXPECT_FALSE(read_svr4_libraries(read_self, {}));
  std::vector<uint8_t> auxv(32, 0);
  uint64_t at_phdr[2] = {AT_PHDR, 8}, at_phnum[2] = {AT_PHNUM, 3};  // address 8: unmapped
  std::memcpy(auxv.data(), at_phdr, 16);
  std::memcpy(auxv.data() + 16, at_phnum, 16);
  EXPECT_FALSE(read_svr4_libraries(read_self, auxv));
}

}  // namespace
}  // namespace ckrr::gdb
