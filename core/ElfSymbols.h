#pragma once
// Function symbols of an ELF file (.symtab, else .dynsym), to name the code at an address.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace ckrr {

class ElfSymbols {
 public:
  // Empty table when the file cannot be read or is not ELF.
  static std::shared_ptr<ElfSymbols> load(const std::string& path);
  // Symbol covering a file-relative virtual address (st_value space): "name+0xOFF" or "".
  std::string lookup(uint64_t vaddr) const;
  // Lowest p_vaddr of the PT_LOAD segments (0 for PIE/shared objects), to turn a runtime
  // address into st_value space: vaddr = addr - (mapping.start - mapping.offset) + bias.
  uint64_t load_bias() const { return first_load_vaddr_ - first_load_offset_; }
  // Address of a symbol by name (st_value), 0 when absent.
  uint64_t address_of(const std::string& name) const;

 private:
  struct Sym {
    uint64_t size;
    std::string name;
  };
  std::map<uint64_t, Sym> syms_;
  uint64_t first_load_vaddr_ = 0;
  uint64_t first_load_offset_ = 0;
};

}  // namespace ckrr
