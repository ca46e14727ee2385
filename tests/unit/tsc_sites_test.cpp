// The instructions a patched rdtsc site may move into its stub (plugins/TscSites).
#include <gtest/gtest.h>

#include <vector>

#include "plugins/TscSites.h"

namespace ckrr {
namespace {

int len_of(std::vector<uint8_t> b) {
  return TscSites::movable_len(b.data(), b.size());
}

TEST(TscSites, MovesWhatCompilersPutAfterARead) {
  EXPECT_EQ(len_of({0x48, 0xc1, 0xe2, 0x20}), 4);              // shl $32, %rdx
  EXPECT_EQ(len_of({0x48, 0x09, 0xd0}), 3);                    // or %rdx, %rax
  EXPECT_EQ(len_of({0x89, 0x45, 0xf0}), 3);                    // mov %eax, -0x10(%rbp)
  EXPECT_EQ(len_of({0x48, 0x89, 0x44, 0x24, 0x08}), 5);        // mov %rax, 8(%rsp)
  EXPECT_EQ(len_of({0x4c, 0x39, 0xc0}), 3);                    // cmp %r8, %rax
  EXPECT_EQ(len_of({0x0f, 0xae, 0xe8}), 3);                    // lfence
  EXPECT_EQ(len_of({0x90}), 1);                                // nop
  EXPECT_EQ(len_of({0x48, 0x89, 0x84, 0x24, 0, 1, 0, 0}), 8);  // mov %rax, 0x100(%rsp)
}

TEST(TscSites, RefusesAnythingThatDependsOnItsAddress) {
  EXPECT_EQ(len_of({0x89, 0x05, 1, 2, 3, 4}), 0);        // mov %eax, x(%rip)
  EXPECT_EQ(len_of({0x48, 0x8b, 0x05, 1, 2, 3, 4}), 0);  // mov x(%rip), %rax
  EXPECT_EQ(len_of({0xeb, 0xfe}), 0);                    // jmp
  EXPECT_EQ(len_of({0x75, 0x02}), 0);                    // jne
  EXPECT_EQ(len_of({0xe8, 0, 0, 0, 0}), 0);              // call
  EXPECT_EQ(len_of({0x0f, 0x31}), 0);                    // rdtsc
  EXPECT_EQ(len_of({0xc3}), 0);                          // ret
  EXPECT_EQ(len_of({0x48, 0x89}), 0);                    // cut short
}

}  // namespace
}  // namespace ckrr
