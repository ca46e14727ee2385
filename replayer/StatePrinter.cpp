#include "replayer/StatePrinter.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "AgentAbi.h"
#include "checkpoint/LazyPages.h"
#include "core/ElfSymbols.h"
#include "core/MemoryMap.h"
#include "core/Sha256.h"

namespace ckrr {

namespace {

std::string hex64(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(v));
  return b;
}

std::string symbol_at(const std::vector<Mapping>& maps, uint64_t addr,
                      const MappingFileResolver& resolve) {
  const Mapping* found = find_mapping(maps, addr);
  if (!found) return "??";
  Mapping resolved = resolve ? resolve(*found) : *found;
  const Mapping* m = &resolved;
  const std::string& path = m->path;
  if (path.empty() || path[0] == '[') return path.empty() ? "??" : path;
  static std::map<std::string, std::shared_ptr<ElfSymbols>> cache;
  auto& syms = cache[path];
  if (!syms) syms = ElfSymbols::load(path);
  std::string s = syms->lookup(addr - m->start + m->offset + syms->load_bias());
  return s.empty() ? "?? in " + path.substr(path.rfind('/') + 1) : s;
}

}  // namespace

DeadRanges dead_stack_of(pid_t tid, uint64_t sp) {
  for (const Mapping& m : read_memory_map(tid))
    if (sp > m.start && sp <= m.end && sp - m.start > 128) return {{m.start, sp - 128}};
  return {};
}

ProcessSnapshotText describe_state(Task& t, const ProcessState& proc, uint64_t seq,
                                   int32_t recorded_tid, const MappingFileResolver& resolve,
                                   const DeadRanges& other_threads_dead) {
  ProcessSnapshotText out;
  std::vector<Mapping> maps = read_memory_map(t.tid());
  const Registers& r = t.regs();
  std::string s;
  s += "event: " + std::to_string(seq) + "\n";
  s += "thread: " + std::to_string(recorded_tid) + "\n";
  s += "rip: " + hex64(r.rip) + " " + symbol_at(maps, r.rip, resolve) + "\n";
  // orig_rax is left out: it only means something inside a syscall stop.
  const std::pair<const char*, unsigned long long> regs[] = {
      {"rax", r.rax},         {"rbx", r.rbx},        {"rcx", r.rcx}, {"rdx", r.rdx},
      {"rsi", r.rsi},         {"rdi", r.rdi},        {"rbp", r.rbp}, {"rsp", r.rsp},
      {"r8", r.r8},           {"r9", r.r9},          {"r10", r.r10}, {"r11", r.r11},
      {"r12", r.r12},         {"r13", r.r13},        {"r14", r.r14}, {"r15", r.r15},
      {"rip", r.rip},         {"eflags", r.eflags},  {"cs", r.cs},   {"ss", r.ss},
      {"ds", r.ds},           {"es", r.es},          {"fs", r.fs},   {"gs", r.gs},
      {"fs_base", r.fs_base}, {"gs_base", r.gs_base}};
  for (const auto& [name, v] : regs) s += std::string("reg ") + name + " " + hex64(v) + "\n";

  // Page by page, address and contents: independent of how the kernel splits the ranges into
  // mappings (a restored process maps the same memory in more pieces).
  Sha256 mem;
  std::vector<uint8_t> buf(1 << 20);
  // For ckrr's own debugging of a digest that differs: CKRR_STATE_PAGES=FILE lists every page's
  // digest (private, like the trace it describes).
  FILE* pages = nullptr;
  if (const char* p = getenv("CKRR_STATE_PAGES")) {
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) pages = fdopen(fd, "w");
  }
  DeadRanges dead = other_threads_dead;
  // The agent's slots hold the channel (record and replay write them differently).
  dead.push_back({CKRR_AGENT_REGION, CKRR_AGENT_REGION_END});
  for (const auto& d : dead_stack_of(t.tid(), r.rsp)) dead.push_back(d);
  // Pages never touched in private anonymous memory are zero without being read: a huge sparse
  // reservation costs its page table walk, not its size. (Once a lazy restore is complete.)
  LazyPages::wait_all();
  int pagemap =
      open(("/proc/" + std::to_string(t.tid()) + "/pagemap").c_str(), O_RDONLY | O_CLOEXEC);
  std::vector<uint64_t> entries(buf.size() / 4096);
  for (const Mapping& m : maps) {
    if (!m.write || !m.read || m.path == "[vvar]" || m.path == "[vsyscall]") continue;
    const bool anonymous =
        !m.shared && (m.path.empty() || m.path == "[heap]" || m.path == "[stack]");
    for (uint64_t a = m.start; a < m.end; a += buf.size()) {
      size_t n = std::min<uint64_t>(buf.size(), m.end - a);
      if (anonymous && pagemap >= 0) {
        size_t count = (n + 4095) / 4096;
        constexpr uint64_t kPresentOrSwapped = 3ull << 62;
        if (pread(pagemap, entries.data(), count * 8, (a / 4096) * 8) ==
                static_cast<ssize_t>(count * 8) &&
            std::none_of(entries.begin(), entries.begin() + count,
                         [](uint64_t e) { return e & kPresentOrSwapped; }))
          continue;  // all zero: contributes nothing, like a zero page read (below)
      }
      if (!t.try_read(a, buf.data(), n)) memset(buf.data(), 0, n);
      for (const auto& [lo, hi] : dead) {
        uint64_t from = std::max(lo, a), to = std::min<uint64_t>(hi, a + n);
        if (from < to) memset(buf.data() + (from - a), 0, to - from);
      }
      for (size_t off = 0; off < n; off += 4096) {
        uint64_t page = a + off;
        // A zero page counts as absent, so a page that was never touched and one that was
        // touched but holds zeros (a restored process, another kernel's choices) agree.
        size_t len = std::min<size_t>(4096, n - off);
        if (std::all_of(buf.data() + off, buf.data() + off + len, [](uint8_t b) { return b == 0; }))
          continue;
        mem.update(&page, sizeof page);
        mem.update(buf.data() + off, std::min<size_t>(4096, n - off));
        if (pages)
          fprintf(pages, "%s %s %s\n", hex64(page).c_str(),
                  Sha256::hex_of(buf.data() + off, std::min<size_t>(4096, n - off)).c_str(),
                  m.path.c_str());
      }
    }
  }
  if (pages) fclose(pages);
  if (pagemap >= 0) close(pagemap);
  out.memory_digest = mem.hex();
  out.fds_digest = Sha256::hex_of(proc.describe_fds().data(), proc.describe_fds().size());
  s += "memory: " + out.memory_digest + "\n";
  s += "fds: " + out.fds_digest + "\n";
  out.text = s;
  return out;
}

}  // namespace ckrr
