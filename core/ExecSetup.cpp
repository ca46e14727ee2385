#include "core/ExecSetup.h"

#include <elf.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cstring>

#include "core/Error.h"
#include "core/ScratchPage.h"
#include "core/VdsoPatch.h"

namespace ckrr {

namespace {

// A `syscall` instruction inside the vDSO, to inject the first syscall before the scratch page
// exists.
uint64_t find_syscall_insn(Task& t, uint64_t vdso) {
  std::vector<uint8_t> img(8192);
  size_t n = 0;
  while (n < img.size() && t.try_read(vdso + n, img.data() + n, 4096)) n += 4096;
  for (size_t i = 0; i + 1 < n; ++i)
    if (img[i] == 0x0f && img[i + 1] == 0x05) return vdso + i;
  return 0;
}

}  // namespace

ExecInfo prepare_exec(Task& t, const std::optional<std::vector<uint8_t>>& random) {
  t.reopen_mem();
  ExecInfo info;
  const Registers& r = t.regs();
  uint64_t p = r.rsp;
  uint64_t argc = t.read_val<uint64_t>(p);
  p += 8 * (argc + 2);                          // argc, argv[], NULL
  while (t.read_val<uint64_t>(p) != 0) p += 8;  // envp[]
  p += 8;
  uint64_t auxv_start = p;
  uint64_t random_addr = 0;
  for (;; p += 16) {
    uint64_t kv[2];
    t.read(p, kv, sizeof kv);
    if (kv[0] == AT_NULL) break;
    if (kv[0] == AT_SYSINFO_EHDR) {
      info.vdso = kv[1];
    } else if (kv[0] == AT_RANDOM) {
      random_addr = kv[1];
    } else if (kv[0] == AT_ENTRY) {
      info.entry = kv[1];
    }
  }
  info.auxv = t.read_bytes(auxv_start, p + 16 - auxv_start);
  if (random_addr) {
    if (random) {
      if (random->size() != 16) throw Error("bad AT_RANDOM bytes in the trace");
      t.write(random_addr, random->data(), 16);
    }
    info.random = t.read_bytes(random_addr, 16);
  }
  if (!info.vdso) throw Error("the program has no vDSO; ckrr needs one to start it");
  uint64_t insn = find_syscall_insn(t, info.vdso);
  if (!insn) throw Error("no syscall instruction found in the vDSO");
  long m = t.inject_syscall(insn, false, SYS_mmap,
                            {kScratchPageAddr, kScratchPageSize, PROT_READ | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, uint64_t(-1), 0});
  if (m != static_cast<long>(kScratchPageAddr))
    throw Error("cannot map ckrr's scratch page at 0x70000000 (result " + std::to_string(m) + ")");
  t.write(kScratchPageAddr, kScratchCode, sizeof kScratchCode);
  if (patch_vdso(t, info.vdso) == 0) throw Error("no entry point found in the vDSO to redirect");
  return info;
}

}  // namespace ckrr
