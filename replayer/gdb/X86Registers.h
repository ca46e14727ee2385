#pragma once
// The amd64 register file as gdb sees it through our target description: which registers, in
// which order (the gdb register number), their sizes, and how to fill them from what ptrace
// gives (user_regs_struct + the XSAVE area).
#include <sys/user.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace ckrr::gdb {

// gdb register numbers. The order follows gdb's own amd64-linux description (core, sse, linux,
// segments, avx) so that register numbers in packets match what gdb users know.
enum X86Reg : int {
  kRax = 0,
  kRbx,
  kRcx,
  kRdx,
  kRsi,
  kRdi,
  kRbp,
  kRsp,
  kR8,
  kR9,
  kR10,
  kR11,
  kR12,
  kR13,
  kR14,
  kR15,
  kRip = 16,
  kEflags,
  kCs,
  kSs,
  kDs,
  kEs,
  kFs,
  kGs,
  kSt0 = 24,
  kFctrl = 32,
  kFstat,
  kFtag,
  kFiseg,
  kFioff,
  kFoseg,
  kFooff,
  kFop,
  kXmm0 = 40,
  kMxcsr = 56,
  kOrigRax = 57,
  kFsBase = 58,
  kGsBase = 59,
  kYmm0h = 60,
  kRegCountNoAvx = 60,
  kRegCountAvx = 76,
};

struct X86RegInfo {
  const char* name;
  int size;           // bytes
  const char* type;   // target-description type
  const char* group;  // target-description group, or nullptr
  const char* feature;
};

// Metadata for register regno (0 <= regno < kRegCountAvx).
const X86RegInfo& x86_reg_info(int regno);

// All registers of one thread, stored as gdb transfers them (little-endian bytes, back to back
// in register-number order).
class X86RegisterFile {
 public:
  explicit X86RegisterFile(bool avx = false);

  bool avx() const { return avx_; }
  int count() const { return avx_ ? kRegCountAvx : kRegCountNoAvx; }
  // The bytes of one register; empty for a number outside count().
  std::span<uint8_t> reg(int regno);
  std::span<const uint8_t> reg(int regno) const;
  // All registers in order: the `g` packet's contents.
  std::span<const uint8_t> all() const;

  void set_u64(int regno, uint64_t v);
  void set_u32(int regno, uint32_t v);
  uint64_t get_u64(int regno) const;  // first 8 bytes (or fewer), zero-extended

 private:
  bool avx_;
  std::array<uint8_t, 1024> bytes_{};
};

// Offset of the AVX (YMM high halves) component in a standard-format XSAVE area, from CPUID
// leaf 0xD sub-leaf 2; nullopt when the CPU has no AVX.
std::optional<uint32_t> cpu_avx_xsave_offset();

// Fills a register file from ptrace's view of a thread. `xsave` is the NT_X86_XSTATE regset (or
// just the 512-byte FXSAVE area from PTRACE_GETFPREGS); components the XSTATE header marks as
// in their initial state are reported with their initial values. AVX registers are included
// when avx_offset is given and the area holds that component.
X86RegisterFile x86_registers_from_ptrace(const user_regs_struct& regs,
                                          std::span<const uint8_t> xsave,
                                          std::optional<uint32_t> avx_offset);

// gdb's full x87 tag word from the FXSAVE abridged one (one bit per physical register), which
// needs the register contents to tell valid, zero and special apart.
uint16_t x87_full_tag_word(uint8_t abridged, uint16_t fstat, const uint8_t st_regs[8][16]);

}  // namespace ckrr::gdb
