#pragma once
// x86-64 disassembly with Capstone, kept behind this small class so the rest of the GUI does not
// see Capstone's C API.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ckrr::gui {

struct Instruction {
  uint64_t address = 0;
  std::vector<uint8_t> bytes;
  std::string mnemonic;
  std::string operands;
  std::string text() const { return operands.empty() ? mnemonic : mnemonic + " " + operands; }
};

class Disassembler {
 public:
  Disassembler();  // throws std::runtime_error if Capstone cannot be initialised
  ~Disassembler();
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  // Decodes code (loaded at `address`) until the bytes run out, an undecodable byte is hit, or
  // max instructions are produced.
  std::vector<Instruction> disassemble(std::span<const uint8_t> code, uint64_t address,
                                       size_t max = SIZE_MAX) const;

  // Instructions around `ip` in code loaded at `base`: up to `before` instructions ending just
  // before ip and `after` starting at ip. x86 cannot be decoded backwards, so the window start is
  // searched for: the earliest start in the preceding bytes whose decoding lands exactly on ip.
  std::vector<Instruction> around(std::span<const uint8_t> code, uint64_t base, uint64_t ip,
                                  size_t before, size_t after) const;

 private:
  size_t handle_ = 0;  // csh
};

}  // namespace ckrr::gui
