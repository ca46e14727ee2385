#include "replayer/gdb/X86Registers.h"

#include <cpuid.h>

#include <cstring>

namespace ckrr::gdb {

namespace {

constexpr const char* kCore = "org.gnu.gdb.i386.core";
constexpr const char* kSse = "org.gnu.gdb.i386.sse";
constexpr const char* kLinux = "org.gnu.gdb.i386.linux";
constexpr const char* kSegments = "org.gnu.gdb.i386.segments";
constexpr const char* kAvx = "org.gnu.gdb.i386.avx";

struct Table {
  X86RegInfo regs[kRegCountAvx];
  int offset[kRegCountAvx + 1];
};

Table make_table() {
  Table t{};
  static const char* const kGprNames[16] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                            "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  for (int i = 0; i < 16; i++) {
    const char* type = i == kRbp || i == kRsp ? "data_ptr" : "int64";
    t.regs[i] = {kGprNames[i], 8, type, nullptr, kCore};
  }
  t.regs[kRip] = {"rip", 8, "code_ptr", nullptr, kCore};
  t.regs[kEflags] = {"eflags", 4, "i386_eflags", nullptr, kCore};
  static const char* const kSegNames[6] = {"cs", "ss", "ds", "es", "fs", "gs"};
  for (int i = 0; i < 6; i++) t.regs[kCs + i] = {kSegNames[i], 4, "int32", nullptr, kCore};
  static const char* const kStNames[8] = {"st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7"};
  for (int i = 0; i < 8; i++) t.regs[kSt0 + i] = {kStNames[i], 10, "i387_ext", nullptr, kCore};
  static const char* const kFpNames[8] = {"fctrl", "fstat", "ftag",  "fiseg",
                                          "fioff", "foseg", "fooff", "fop"};
  for (int i = 0; i < 8; i++) t.regs[kFctrl + i] = {kFpNames[i], 4, "int", "float", kCore};
  static const char* const kXmmNames[16] = {"xmm0",  "xmm1",  "xmm2",  "xmm3", "xmm4",  "xmm5",
                                            "xmm6",  "xmm7",  "xmm8",  "xmm9", "xmm10", "xmm11",
                                            "xmm12", "xmm13", "xmm14", "xmm15"};
  for (int i = 0; i < 16; i++) t.regs[kXmm0 + i] = {kXmmNames[i], 16, "vec128", nullptr, kSse};
  t.regs[kMxcsr] = {"mxcsr", 4, "i386_mxcsr", "vector", kSse};
  t.regs[kOrigRax] = {"orig_rax", 8, "int", nullptr, kLinux};
  t.regs[kFsBase] = {"fs_base", 8, "int", nullptr, kSegments};
  t.regs[kGsBase] = {"gs_base", 8, "int", nullptr, kSegments};
  static const char* const kYmmNames[16] = {
      "ymm0h", "ymm1h", "ymm2h",  "ymm3h",  "ymm4h",  "ymm5h",  "ymm6h",  "ymm7h",
      "ymm8h", "ymm9h", "ymm10h", "ymm11h", "ymm12h", "ymm13h", "ymm14h", "ymm15h"};
  for (int i = 0; i < 16; i++) t.regs[kYmm0h + i] = {kYmmNames[i], 16, "uint128", nullptr, kAvx};
  int off = 0;
  for (int i = 0; i < kRegCountAvx; i++) {
    t.offset[i] = off;
    off += t.regs[i].size;
  }
  t.offset[kRegCountAvx] = off;
  return t;
}

const Table& table() {
  static const Table t = make_table();
  return t;
}

uint64_t load(const uint8_t* p, int n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n);  // little-endian host, as the target
  return v;
}

// Class of one 80-bit x87 value, as the tag word encodes it: 0 valid, 1 zero, 2 special.
int x87_tag_of(const uint8_t* raw) {
  unsigned exponent = (raw[9] & 0x7fu) << 8 | raw[8];
  bool integer_bit = raw[7] & 0x80;
  uint64_t mantissa = load(raw, 8);
  if (exponent == 0x7fff) return 2;
  if (exponent == 0) return mantissa == 0 ? 1 : 2;
  return integer_bit ? 0 : 2;
}

}  // namespace

const X86RegInfo& x86_reg_info(int regno) {
  return table().regs[regno];
}

X86RegisterFile::X86RegisterFile(bool avx) : avx_(avx) {
  // 16 GPRs + rip + eflags + 6 segments + 8 st + 8 x87 control + 16 xmm + mxcsr + orig_rax +
  // fs_base + gs_base + 16 ymmh.
  static_assert(
      sizeof(bytes_) >= 16 * 8 + 8 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4 + 3 * 8 + 16 * 16,
      "register storage too small");
}

std::span<uint8_t> X86RegisterFile::reg(int regno) {
  if (regno < 0 || regno >= count()) return {};
  return {bytes_.data() + table().offset[regno], static_cast<size_t>(table().regs[regno].size)};
}

std::span<const uint8_t> X86RegisterFile::reg(int regno) const {
  return const_cast<X86RegisterFile*>(this)->reg(regno);
}

std::span<const uint8_t> X86RegisterFile::all() const {
  return {bytes_.data(), static_cast<size_t>(table().offset[count()])};
}

void X86RegisterFile::set_u64(int regno, uint64_t v) {
  auto r = reg(regno);
  std::memcpy(r.data(), &v, r.size() < 8 ? r.size() : 8);
}

void X86RegisterFile::set_u32(int regno, uint32_t v) {
  auto r = reg(regno);
  std::memcpy(r.data(), &v, r.size() < 4 ? r.size() : 4);
}

uint64_t X86RegisterFile::get_u64(int regno) const {
  auto r = reg(regno);
  return load(r.data(), r.size() < 8 ? static_cast<int>(r.size()) : 8);
}

std::optional<uint32_t> cpu_avx_xsave_offset() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return std::nullopt;
  if (!(c & bit_AVX) || !(c & bit_OSXSAVE)) return std::nullopt;
  if (!__get_cpuid_count(0xd, 2, &a, &b, &c, &d) || a == 0) return std::nullopt;
  return b;
}

uint16_t x87_full_tag_word(uint8_t abridged, uint16_t fstat, const uint8_t st_regs[8][16]) {
  // The abridged tag is indexed by physical register; st(i) is physical (top + i) % 8.
  int top = (fstat >> 11) & 7;
  uint16_t full = 0;
  for (int phys = 0; phys < 8; phys++) {
    int tag = 3;  // empty
    if (abridged & (1 << phys)) tag = x87_tag_of(st_regs[(phys - top + 8) % 8]);
    full |= static_cast<uint16_t>(tag << (2 * phys));
  }
  return full;
}

X86RegisterFile x86_registers_from_ptrace(const user_regs_struct& r, std::span<const uint8_t> xsave,
                                          std::optional<uint32_t> avx_offset) {
  constexpr size_t kLegacy = 512, kHeader = 64;
  uint64_t xstate_bv = ~0ull;  // FXSAVE only: every legacy component is live
  if (xsave.size() >= kLegacy + kHeader) xstate_bv = load(xsave.data() + kLegacy, 8);
  bool avx = avx_offset && xsave.size() >= *avx_offset + 256ull && *avx_offset >= kLegacy;
  X86RegisterFile f(avx);

  const uint64_t gprs[16] = {r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp,
                             r.r8,  r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15};
  for (int i = 0; i < 16; i++) f.set_u64(kRax + i, gprs[i]);
  f.set_u64(kRip, r.rip);
  f.set_u32(kEflags, static_cast<uint32_t>(r.eflags));
  const uint64_t segs[6] = {r.cs, r.ss, r.ds, r.es, r.fs, r.gs};
  for (int i = 0; i < 6; i++) f.set_u32(kCs + i, static_cast<uint32_t>(segs[i]));
  f.set_u64(kOrigRax, r.orig_rax);
  f.set_u64(kFsBase, r.fs_base);
  f.set_u64(kGsBase, r.gs_base);

  // Initial values of the components the XSTATE header marks unused (the area may hold stale
  // bytes there).
  f.set_u32(kFctrl, 0x37f);
  f.set_u32(kFtag, 0xffff);
  f.set_u32(kMxcsr, 0x1f80);
  if (xsave.size() < kLegacy) return f;
  const uint8_t* x = xsave.data();

  if (xstate_bv & 1) {  // x87
    uint8_t st[8][16];
    std::memcpy(st, x + 32, sizeof st);
    for (int i = 0; i < 8; i++) std::memcpy(f.reg(kSt0 + i).data(), st[i], 10);
    uint16_t fstat = static_cast<uint16_t>(load(x + 2, 2));
    f.set_u32(kFctrl, static_cast<uint32_t>(load(x, 2)));
    f.set_u32(kFstat, fstat);
    f.set_u32(kFtag, x87_full_tag_word(x[4], fstat, st));
    f.set_u32(kFop, static_cast<uint32_t>(load(x + 6, 2) & 0x7ff));
    // 64-bit FXSAVE format: the instruction and operand pointers are 64 bits; gdb shows the
    // upper halves as fiseg/foseg, as its own amd64 code does.
    f.set_u32(kFioff, static_cast<uint32_t>(load(x + 8, 4)));
    f.set_u32(kFiseg, static_cast<uint32_t>(load(x + 12, 4)));
    f.set_u32(kFooff, static_cast<uint32_t>(load(x + 16, 4)));
    f.set_u32(kFoseg, static_cast<uint32_t>(load(x + 20, 4)));
  }
  // MXCSR belongs to both the SSE and AVX components.
  if (xstate_bv & 6) f.set_u32(kMxcsr, static_cast<uint32_t>(load(x + 24, 4)));
  if (xstate_bv & 2)
    for (int i = 0; i < 16; i++) std::memcpy(f.reg(kXmm0 + i).data(), x + 160 + 16 * i, 16);
  if (avx && (xstate_bv & 4))
    for (int i = 0; i < 16; i++)
      std::memcpy(f.reg(kYmm0h + i).data(), x + *avx_offset + 16 * i, 16);
  return f;
}

}  // namespace ckrr::gdb
