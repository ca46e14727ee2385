#include "plugins/SyscallContext.h"

#include <cstdio>

#include "core/Error.h"

namespace ckrr {

void SyscallContext::capture(uint64_t addr, uint64_t len) {
  if (addr == 0 || len == 0) return;
  MemWrite w;
  w.addr = addr;
  w.bytes.resize(len);
  // Part of a buffer may be unmapped when the kernel wrote less; keep what is readable.
  if (!task.try_read(addr, w.bytes.data(), len)) {
    size_t ok = 0;
    while (ok < len) {
      size_t n = std::min<uint64_t>(4096 - ((addr + ok) & 4095), len - ok);
      if (!task.try_read(addr + ok, w.bytes.data() + ok, n)) break;
      ok += n;
    }
    w.bytes.resize(ok);
    if (ok == 0) return;
  }
  event.writes.push_back(std::move(w));
}

void SyscallContext::expect_recorded_address(int64_t got, const char* call) const {
  if (got == event.result) return;
  char e[32], g[32];
  snprintf(e, sizeof e, "0x%llx", static_cast<unsigned long long>(event.result));
  snprintf(g, sizeof g, "0x%llx", static_cast<unsigned long long>(got));
  throw Divergence(event.seq, event.tid, std::string(call) + " result differs", e, g);
}

void SyscallContext::write_recorded_memory() {
  for (const MemWrite& w : event.writes) task.write(w.addr, w.bytes.data(), w.bytes.size());
}

}  // namespace ckrr
