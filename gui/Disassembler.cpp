#include "gui/Disassembler.h"

#include <capstone/capstone.h>

#include <stdexcept>

namespace ckrr::gui {

Disassembler::Disassembler() {
  csh h = 0;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
    throw std::runtime_error("capstone: cannot open x86-64 disassembler");
  handle_ = h;
}

Disassembler::~Disassembler() {
  csh h = handle_;
  cs_close(&h);
}

std::vector<Instruction> Disassembler::disassemble(std::span<const uint8_t> code, uint64_t address,
                                                   size_t max) const {
  std::vector<Instruction> out;
  cs_insn* insn = cs_malloc(handle_);
  const uint8_t* p = code.data();
  size_t n = code.size();
  uint64_t addr = address;
  // cs_disasm_iter reuses one cs_insn: no per-call allocation of the whole result array.
  while (out.size() < max && n > 0 && cs_disasm_iter(handle_, &p, &n, &addr, insn)) {
    Instruction i;
    i.address = insn->address;
    i.bytes.assign(insn->bytes, insn->bytes + insn->size);
    i.mnemonic = insn->mnemonic;
    i.operands = insn->op_str;
    out.push_back(std::move(i));
  }
  cs_free(insn, 1);
  return out;
}

std::vector<Instruction> Disassembler::around(std::span<const uint8_t> code, uint64_t base,
                                              uint64_t ip, size_t before, size_t after) const {
  if (ip < base || ip - base >= code.size()) return {};
  const size_t off = ip - base;
  std::vector<Instruction> out;
  // Try starts from far back (x86 instructions are at most 15 bytes) toward ip; the first one
  // whose decoding reaches ip exactly is most likely the real instruction stream.
  const size_t max_back = std::min(off, before * 15);
  for (size_t back = max_back; back > 0; --back) {
    auto head = disassemble(code.subspan(off - back, back), base + off - back);
    uint64_t end = base + off - back;
    for (const auto& i : head) end = i.address + i.bytes.size();
    if (end != ip || head.empty()) continue;
    if (head.size() > before) head.erase(head.begin(), head.end() - static_cast<long>(before));
    out = std::move(head);
    break;
  }
  auto tail = disassemble(code.subspan(off), ip, after);
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

}  // namespace ckrr::gui
