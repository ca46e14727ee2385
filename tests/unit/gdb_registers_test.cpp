#include <gtest/gtest.h>

#include <cstring>

#include "replayer/gdb/GdbSignals.h"
#include "replayer/gdb/TargetDescription.h"
#include "replayer/gdb/X86Registers.h"

namespace ckrr::gdb {
namespace {

constexpr uint32_t kAvxOffset = 576;  // where every current CPU puts it; passed explicitly

std::vector<uint8_t> xsave_area(uint64_t xstate_bv) {
  std::vector<uint8_t> x(kAvxOffset + 256, 0);
  std::memcpy(x.data() + 512, &xstate_bv, 8);
  return x;
}

template <typename T>
void put(std::vector<uint8_t>& x, size_t off, T v) {
  std::memcpy(x.data() + off, &v, sizeof v);
}

TEST(GdbRegisters, LayoutMatchesGdbNumbering) {
  EXPECT_STREQ(x86_reg_info(kRip).name, "rip");
  EXPECT_STREQ(x86_reg_info(kEflags).name, "eflags");
  EXPECT_STREQ(x86_reg_info(kSt0 + 7).name, "st7");
  EXPECT_STREQ(x86_reg_info(kFop).name, "fop");
  EXPECT_STREQ(x86_reg_info(kXmm0 + 15).name, "xmm15");
  EXPECT_STREQ(x86_reg_info(kOrigRax).name, "orig_rax");
  EXPECT_STREQ(x86_reg_info(kFsBase).name, "fs_base");
  EXPECT_STREQ(x86_reg_info(kYmm0h + 15).name, "ymm15h");
  EXPECT_EQ(X86RegisterFile(false).all().size(), 560u);
  EXPECT_EQ(X86RegisterFile(true).all().size(), 816u);
}

TEST(GdbRegisters, FillsFromUserRegsAndXsave) {
  user_regs_struct r{};
  r.rax = 0x1122334455667788;
  r.r15 = 15;
  r.rip = 0x401000;
  r.eflags = 0x246;
  r.cs = 0x33;
  r.gs = 0;
  r.orig_rax = static_cast<unsigned long long>(-1);
  r.fs_base = 0x7ffff7d8a740;
  auto x = xsave_area(7);                    // x87, SSE and AVX live
  put<uint16_t>(x, 0, 0x37f);                // fcw
  put<uint16_t>(x, 2, 7u << 11);             // fsw: top = 7
  x[4] = 0x80;                               // physical register 7 (= st0) in use
  put<uint64_t>(x, 32, 0x8000000000000000);  // st0 = 1.0
  put<uint16_t>(x, 40, 0x3fff);
  put<uint32_t>(x, 24, 0x1fa0);                                                    // mxcsr
  for (int i = 0; i < 16; i++) x[160 + 16 * 3 + i] = static_cast<uint8_t>(i + 1);  // xmm3
  x[kAvxOffset + 16 * 2] = 0xab;                                                   // ymm2h low byte

  X86RegisterFile f = x86_registers_from_ptrace(r, x, kAvxOffset);
  ASSERT_TRUE(f.avx());
  EXPECT_EQ(f.get_u64(kRax), 0x1122334455667788u);
  EXPECT_EQ(f.get_u64(kR15), 15u);
  EXPECT_EQ(f.get_u64(kRip), 0x401000u);
  EXPECT_EQ(f.get_u64(kEflags), 0x246u);
  EXPECT_EQ(f.get_u64(kCs), 0x33u);
  EXPECT_EQ(f.get_u64(kOrigRax), ~0ull);
  EXPECT_EQ(f.get_u64(kFsBase), 0x7ffff7d8a740u);
  EXPECT_EQ(f.get_u64(kFctrl), 0x37fu);
  EXPECT_EQ(f.get_u64(kFtag), 0x3fffu);  // physical 7 valid (00), the rest empty (11)
  EXPECT_EQ(f.reg(kSt0)[9], 0x3f);
  EXPECT_EQ(f.get_u64(kMxcsr), 0x1fa0u);
  EXPECT_EQ(f.reg(kXmm0 + 3)[15], 16);
  EXPECT_EQ(f.reg(kYmm0h + 2)[0], 0xab);
}

TEST(GdbRegisters, ComponentsInInitialStateReadAsInitialValues) {
  user_regs_struct r{};
  auto x = xsave_area(0);  // nothing live: stale bytes in the area must not show
  std::memset(x.data(), 0xcc, 512);
  std::memset(x.data() + kAvxOffset, 0xcc, 256);
  X86RegisterFile f = x86_registers_from_ptrace(r, x, kAvxOffset);
  EXPECT_EQ(f.get_u64(kFctrl), 0x37fu);
  EXPECT_EQ(f.get_u64(kFtag), 0xffffu);
  EXPECT_EQ(f.get_u64(kMxcsr), 0x1f80u);
  EXPECT_EQ(f.reg(kXmm0)[0], 0);
  EXPECT_EQ(f.reg(kYmm0h)[0], 0);
}

TEST(GdbRegisters, WithoutAvxOrXsave) {
  user_regs_struct r{};
  r.rip = 5;
  X86RegisterFile none = x86_registers_from_ptrace(r, {}, kAvxOffset);
  EXPECT_FALSE(none.avx());
  EXPECT_EQ(none.get_u64(kRip), 5u);
  std::vector<uint8_t> fx(512, 0);
  fx[160] = 9;
  X86RegisterFile legacy = x86_registers_from_ptrace(r, fx, std::nullopt);
  EXPECT_FALSE(legacy.avx());
  EXPECT_EQ(legacy.reg(kXmm0)[0], 9);
  EXPECT_TRUE(legacy.reg(kYmm0h).empty());
}

TEST(GdbRegisters, X87TagWordClassifiesValues) {
  uint8_t st[8][16] = {};
  // top = 0: st(i) is physical i. st1 = zero, st2 = NaN (special), st3 = 1.0 (valid).
  st[2][7] = 0xc0;
  st[2][8] = 0xff;
  st[2][9] = 0x7f;
  st[3][7] = 0x80;
  st[3][8] = 0xff;
  st[3][9] = 0x3f;
  uint16_t tag = x87_full_tag_word(0x0e, 0, st);
  EXPECT_EQ(tag & 3, 3);         // physical 0: empty
  EXPECT_EQ((tag >> 2) & 3, 1);  // zero
  EXPECT_EQ((tag >> 4) & 3, 2);  // special
  EXPECT_EQ((tag >> 6) & 3, 0);  // valid
}

TEST(GdbRegisters, CpuAvxOffsetIsPlausible) {
  auto off = cpu_avx_xsave_offset();
  if (off) {
    EXPECT_GE(*off, 576u);
  }
}

TEST(GdbTargetDescription, NamesFeaturesAndAvxOnlyWhenAsked) {
  std::string plain = x86_64_target_xml(false), avx = x86_64_target_xml(true);
  for (const char* f :
       {"<architecture>i386:x86-64</architecture>", "org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
        "org.gnu.gdb.i386.linux", "org.gnu.gdb.i386.segments", "name=\"orig_rax\"",
        "name=\"fs_base\"", "name=\"gs_base\"", "regnum=\"59\""})
    EXPECT_NE(plain.find(f), std::string::npos) << f;
  EXPECT_EQ(plain.find("org.gnu.gdb.i386.avx"), std::string::npos);
  EXPECT_NE(avx.find("org.gnu.gdb.i386.avx"), std::string::npos);
  EXPECT_NE(avx.find("name=\"ymm15h\" bitsize=\"128\" type=\"uint128\" regnum=\"75\""),
            std::string::npos);
}

TEST(GdbSignals, MapsLinuxToGdbNumbers) {
  EXPECT_EQ(host_to_gdb_signal(SIGTRAP), 5);
  EXPECT_EQ(host_to_gdb_signal(SIGBUS), 10);
  EXPECT_EQ(host_to_gdb_signal(SIGUSR1), 30);
  EXPECT_EQ(host_to_gdb_signal(SIGCHLD), 20);
  EXPECT_EQ(host_to_gdb_signal(34), 46);  // SIGRTMIN under glibc
  EXPECT_EQ(host_to_gdb_signal(32), 77);
  EXPECT_EQ(host_to_gdb_signal(64), 78);
  EXPECT_EQ(host_to_gdb_signal(SIGSTKFLT), kGdbSignalUnknown);
  for (int sig = 1; sig <= 64; sig++) {
    int g = host_to_gdb_signal(sig);
    if (g != kGdbSignalUnknown) {
      EXPECT_EQ(gdb_to_host_signal(g), sig) << sig;
    }
  }
  EXPECT_EQ(gdb_to_host_signal(7), 0);  // SIGEMT: none on Linux
}

}  // namespace
}  // namespace ckrr::gdb
