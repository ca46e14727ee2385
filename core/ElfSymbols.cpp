#include "core/ElfSymbols.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace ckrr {

std::shared_ptr<ElfSymbols> ElfSymbols::load(const std::string& path) {
  auto out = std::make_shared<ElfSymbols>();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
    close(fd);
    return out;
  }
  size_t size = st.st_size;
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return out;
  const uint8_t* base = static_cast<const uint8_t*>(map);
  auto in_file = [&](uint64_t off, uint64_t len) { return off <= size && len <= size - off; };
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      !in_file(eh->e_shoff, uint64_t(eh->e_shnum) * sizeof(Elf64_Shdr)) ||
      !in_file(eh->e_phoff, uint64_t(eh->e_phnum) * sizeof(Elf64_Phdr))) {
    munmap(map, size);
    return out;
  }
  const auto* ph = reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff);
  for (int i = 0; i < eh->e_phnum; ++i)
    if (ph[i].p_type == PT_LOAD) {
      out->first_load_vaddr_ = ph[i].p_vaddr;
      out->first_load_offset_ = ph[i].p_offset;
      break;
    }
  const auto* sh = reinterpret_cast<const Elf64_Shdr*>(base + eh->e_shoff);
  for (uint32_t want : {uint32_t(SHT_SYMTAB), uint32_t(SHT_DYNSYM)}) {
    for (int i = 0; i < eh->e_shnum; ++i) {
      if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum) continue;
      const Elf64_Shdr& strs = sh[sh[i].sh_link];
      if (!in_file(sh[i].sh_offset, sh[i].sh_size) || !in_file(strs.sh_offset, strs.sh_size))
        continue;
      const auto* sym = reinterpret_cast<const Elf64_Sym*>(base + sh[i].sh_offset);
      size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
      const char* str = reinterpret_cast<const char*>(base + strs.sh_offset);
      for (size_t k = 0; k < n; ++k) {
        if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_value == 0) continue;
        if (sym[k].st_name >= strs.sh_size) continue;
        std::string name(str + sym[k].st_name,
                         strnlen(str + sym[k].st_name, strs.sh_size - sym[k].st_name));
        auto it = out->syms_.find(sym[k].st_value);
        // Prefer global names over local aliases at the same address.
        if (it == out->syms_.end() || ELF64_ST_BIND(sym[k].st_info) == STB_GLOBAL)
          out->syms_[sym[k].st_value] = Sym{sym[k].st_size, std::move(name)};
      }
    }
    if (!out->syms_.empty()) break;
  }
  munmap(map, size);
  return out;
}

std::string ElfSymbols::lookup(uint64_t vaddr) const {
  auto it = syms_.upper_bound(vaddr);
  if (it == syms_.begin()) return "";
  --it;
  uint64_t off = vaddr - it->first;
  if (it->second.size != 0 && off >= it->second.size) return "";
  char buf[32];
  snprintf(buf, sizeof buf, "+0x%llx", static_cast<unsigned long long>(off));
  return it->second.name + buf;
}

uint64_t ElfSymbols::address_of(const std::string& name) const {
  for (const auto& [addr, sym] : syms_)
    if (sym.name == name) return addr;
  return 0;
}

}  // namespace ckrr
