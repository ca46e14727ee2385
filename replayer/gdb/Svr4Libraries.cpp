#include "replayer/gdb/Svr4Libraries.h"

#include <elf.h>
#include <link.h>

#include <cstring>

namespace ckrr::gdb {

namespace {

// Upper bounds that keep a corrupt process from making the walk run away.
constexpr int kMaxPhdrs = 512;
constexpr int kMaxDynamic = 4096;
constexpr int kMaxObjects = 100000;
constexpr size_t kMaxName = 4096;

template <typename T>
bool read_val(const MemoryReader& read, uint64_t addr, T& out) {
  return read(addr, &out, sizeof out) == sizeof out;
}

std::string read_string(const MemoryReader& read, uint64_t addr) {
  std::string s;
  char buf[256];
  while (s.size() < kMaxName) {
    size_t n = read(addr + s.size(), buf, sizeof buf);
    if (n == 0) break;
    size_t len = strnlen(buf, n);
    s.append(buf, len);
    if (len < n) break;
  }
  return s;
}

}  // namespace

std::optional<Svr4LibraryList> read_svr4_libraries(const MemoryReader& read,
                                                   std::span<const uint8_t> auxv) {
  uint64_t phdr = 0, phnum = 0;
  for (size_t i = 0; i + 16 <= auxv.size(); i += 16) {
    uint64_t type, val;
    std::memcpy(&type, auxv.data() + i, 8);
    std::memcpy(&val, auxv.data() + i + 8, 8);
    if (type == AT_PHDR) phdr = val;
    if (type == AT_PHNUM) phnum = val;
  }
  if (!phdr || !phnum || phnum > kMaxPhdrs) return std::nullopt;

  // The load bias is where PT_PHDR landed minus where the file says it is.
  std::optional<uint64_t> bias;
  uint64_t dynamic_vaddr = 0;
  for (uint64_t i = 0; i < phnum; i++) {
    Elf64_Phdr ph;
    if (!read_val(read, phdr + i * sizeof ph, ph)) return std::nullopt;
    if (ph.p_type == PT_PHDR) bias = phdr - ph.p_vaddr;
    if (ph.p_type == PT_DYNAMIC) dynamic_vaddr = ph.p_vaddr;
  }
  Svr4LibraryList list;
  if (!dynamic_vaddr) return list;  // static executable: no dynamic linker, no list
  if (!bias) return std::nullopt;

  uint64_t r_debug = 0;
  for (int i = 0; i < kMaxDynamic; i++) {
    Elf64_Dyn d;
    if (!read_val(read, *bias + dynamic_vaddr + i * sizeof d, d)) return std::nullopt;
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_DEBUG) r_debug = d.d_un.d_ptr;
  }
  if (!r_debug) return list;  // the dynamic linker has not started yet

  uint64_t lm = 0;
  if (!read_val(read, r_debug + offsetof(struct r_debug, r_map), lm)) return std::nullopt;
  uint64_t prev = 0;
  for (int n = 0; lm && n < kMaxObjects; n++) {
    struct link_map m;
    if (!read_val(read, lm, m)) return std::nullopt;
    if (reinterpret_cast<uint64_t>(m.l_prev) != prev) return std::nullopt;  // not a list
    if (n == 0) {
      list.main_lm = lm;  // the executable itself
    } else {
      Svr4Library lib;
      lib.name = m.l_name ? read_string(read, reinterpret_cast<uint64_t>(m.l_name)) : "";
      lib.lm = lm;
      lib.l_addr = m.l_addr;
      lib.l_ld = reinterpret_cast<uint64_t>(m.l_ld);
      list.libraries.push_back(std::move(lib));
    }
    prev = lm;
    lm = reinterpret_cast<uint64_t>(m.l_next);
  }
  return list;
}

}  // namespace ckrr::gdb
