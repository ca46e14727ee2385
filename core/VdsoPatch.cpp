#include "core/VdsoPatch.h"

#include <elf.h>
#include <sys/syscall.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "core/Error.h"
#include "core/MemoryMap.h"

namespace ckrr {

namespace {

// The vDSO's exported names (with and without the __vdso_ prefix) and the syscall each one is.
struct Entry {
  std::string_view name;
  long nr;  // -1: return -ENOSYS
};
constexpr Entry kEntries[] = {
    {"clock_gettime", SYS_clock_gettime},
    {"gettimeofday", SYS_gettimeofday},
    {"time", SYS_time},
    {"getcpu", SYS_getcpu},
    {"clock_getres", SYS_clock_getres},
    {"getrandom", -1},
};

long syscall_for(std::string_view sym) {
  if (sym.starts_with("__vdso_")) sym.remove_prefix(7);
  for (const Entry& e : kEntries)
    if (sym == e.name) return e.nr;
  return -2;  // not an entry ckrr replaces
}

template <class T>
bool fits(const std::vector<uint8_t>& img, uint64_t off, uint64_t count = 1) {
  return off <= img.size() && count <= (img.size() - off) / sizeof(T);
}

}  // namespace

namespace {
int rewrite_vdso(Task& t, uint64_t base, const std::vector<std::pair<long, uint64_t>>* to);
}

int patch_vdso(Task& t, uint64_t base) {
  return rewrite_vdso(t, base, nullptr);
}

int redirect_vdso(Task& t, uint64_t base, const std::vector<std::pair<long, uint64_t>>& to) {
  return rewrite_vdso(t, base, &to);
}

namespace {
int rewrite_vdso(Task& t, uint64_t base, const std::vector<std::pair<long, uint64_t>>* to) {
  uint64_t size = 0;
  for (const Mapping& m : read_memory_map(t.tid()))
    if (m.start == base) size = m.size();
  if (!size || size > (1u << 20)) throw Error("the vDSO mapping was not found");
  std::vector<uint8_t> img(size);
  t.read(base, img.data(), img.size());
  if (!fits<Elf64_Ehdr>(img, 0) || std::memcmp(img.data(), ELFMAG, SELFMAG) != 0)
    throw Error("the vDSO is not an ELF image");
  Elf64_Ehdr eh;
  std::memcpy(&eh, img.data(), sizeof eh);
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || !fits<Elf64_Shdr>(img, eh.e_shoff, eh.e_shnum))
    throw Error("the vDSO has no section headers ckrr can read");
  // Symbol values are link-time addresses: relative to the first loaded segment.
  uint64_t link_base = 0;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!fits<Elf64_Phdr>(img, eh.e_phoff + i * sizeof ph)) break;
    std::memcpy(&ph, &img[eh.e_phoff + i * sizeof ph], sizeof ph);
    if (ph.p_type == PT_LOAD) {
      link_base = ph.p_vaddr - ph.p_offset;
      break;
    }
  }
  int patched = 0;
  for (int i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh, str;
    std::memcpy(&sh, &img[eh.e_shoff + i * sizeof sh], sizeof sh);
    if (sh.sh_type != SHT_DYNSYM || sh.sh_link >= eh.e_shnum) continue;
    std::memcpy(&str, &img[eh.e_shoff + sh.sh_link * sizeof str], sizeof str);
    uint64_t count = sh.sh_size / sizeof(Elf64_Sym);
    if (!fits<Elf64_Sym>(img, sh.sh_offset, count) || str.sh_offset > img.size()) continue;
    for (uint64_t k = 0; k < count; ++k) {
      Elf64_Sym sym;
      std::memcpy(&sym, &img[sh.sh_offset + k * sizeof sym], sizeof sym);
      if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_name >= str.sh_size) continue;
      const char* name = reinterpret_cast<const char*>(&img[str.sh_offset + sym.st_name]);
      std::string_view n(name, strnlen(name, str.sh_size - sym.st_name));
      long nr = syscall_for(n);
      uint64_t at = sym.st_value - link_base;
      if (nr == -2 || at + 8 > size || sym.st_size < 8) continue;
      if (to) {
        for (const auto& [want, addr] : *to) {
          if (want != nr || sym.st_size < 12 || at + 12 > size) continue;
          uint8_t jump[12] = {0x48, 0xb8};  // movabs $addr, %rax; jmp *%rax
          std::memcpy(jump + 2, &addr, 8);
          jump[10] = 0xff;
          jump[11] = 0xe0;
          t.write(base + at, jump, sizeof jump);
          ++patched;
        }
        continue;
      }
      uint8_t code[8];
      if (nr >= 0) {
        const uint8_t stub[8] = {0xb8, uint8_t(nr), uint8_t(nr >> 8), 0, 0, 0x0f, 0x05, 0xc3};
        std::memcpy(code, stub, 8);  // mov $nr, %eax; syscall; ret
      } else {
        const uint8_t enosys[8] = {0xb8, 0xda, 0xff, 0xff, 0xff, 0xc3, 0xcc, 0xcc};
        std::memcpy(code, enosys, 8);  // mov $-ENOSYS, %eax; ret
      }
      t.write(base + at, code, sizeof code);
      ++patched;
    }
  }
  return patched;
}
}  // namespace

}  // namespace ckrr
