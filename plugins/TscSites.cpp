#include "plugins/TscSites.h"

#include <elf.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <x86intrin.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>

#include "AgentAbi.h"
#include "core/ElfSymbols.h"
#include "core/MemoryMap.h"
#include "core/OwnTscTrap.h"
#include "core/RemoteSyscall.h"
#include "core/TscInstruction.h"

namespace ckrr {

namespace {

// The TSC's rate against CLOCK_MONOTONIC, from two samples at least 10 ms apart: the first
// taken when ckrr starts, the second when a process first needs it.
struct Calibration {
  uint64_t tsc0 = __rdtsc();
  uint64_t ns0 = monotonic_ns();
};
Calibration& calibration() {
  static Calibration c;
  return c;
}
[[maybe_unused]] const bool calibration_started = (calibration(), true);

uint64_t mult_now() {
  const Calibration& c = calibration();
  uint64_t ns = monotonic_ns();
  while (ns - c.ns0 < 10000000) ns = monotonic_ns();
  const uint64_t tsc = __rdtsc();
  return static_cast<uint64_t>((static_cast<unsigned __int128>(tsc - c.tsc0) << 32) / (ns - c.ns0));
}

// Record: the agent's entry for patched sites (its exported ckrr_tsc_entry), when the process
// mapped libckrr_agent.so, else 0. ld.so reads the TSC before it maps the preloaded agent, so a
// process is looked at again at each of its first kLooks traps, then taken to have no agent
// until its exec (forget): one without it pays for reading its map a few times only. Replay
// never looks (a restored process's map may not name the library): the state's creation and
// the entry are in the event of the read that made it.
constexpr int kLooks = 64;
// The rate (TSC ticks per ns, 32.32 fixed point: under 2^40 up to 256 GHz) and rdtscp's aux
// share one event argument.
constexpr uint64_t kMultMask = (uint64_t{1} << 40) - 1;
struct Found {
  uint64_t entry = 0;
  int looks = 0;
};
std::map<pid_t, Found>& found() {
  static std::map<pid_t, Found> m;
  return m;
}

// Where the library's file offset `offset` (a PT_LOAD's start) is linked to: p_vaddr of that
// segment (page-aligned), or nullopt.
std::optional<uint64_t> linked_at(const std::string& path, uint64_t offset) {
  std::ifstream f(path, std::ios::binary);
  Elf64_Ehdr eh;
  if (!f.read(reinterpret_cast<char*>(&eh), sizeof eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return std::nullopt;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    f.seekg(static_cast<std::streamoff>(eh.e_phoff + i * sizeof ph));
    if (!f.read(reinterpret_cast<char*>(&ph), sizeof ph)) return std::nullopt;
    if (ph.p_type == PT_LOAD && (ph.p_offset & ~uint64_t{0xfff}) == offset)
      return ph.p_vaddr & ~uint64_t{0xfff};
  }
  return std::nullopt;
}

uint64_t agent_entry(Task& t) {
  Found& f = found()[t.tgid()];
  if (f.entry || f.looks >= kLooks) return f.entry;
  ++f.looks;
  // The executable mapping (a process restored from a checkpoint may lack the others).
  for (const Mapping& m : read_memory_map(t.tid())) {
    if (!m.exec || !m.path.ends_with("/libckrr_agent.so")) continue;
    const uint64_t at = ElfSymbols::load(m.path)->address_of("ckrr_tsc_entry");
    const std::optional<uint64_t> linked = linked_at(m.path, m.offset);
    if (at && linked && at >= *linked && at - *linked < m.size())
      f.entry = m.start + (at - *linked);
    break;
  }
  return f.entry;
}

bool read_state(Task& t, ckrr_tsc_state& st) {
  return t.try_read(CKRR_TSC_STATE, &st, sizeof st) && st.magic == CKRR_TSC_MAGIC;
}

uint64_t clock_value(const ckrr_tsc_state& st) {
  const uint64_t ns = monotonic_ns();
  const uint64_t d = ns > st.base_ns ? ns - st.base_ns : 0;
  uint64_t v =
      st.base_tsc + static_cast<uint64_t>((static_cast<unsigned __int128>(d) * st.mult) >> 32);
  return v <= st.floor ? st.floor + 1 : v;
}

void create_state(Task& t, const ckrr_tsc_state& st) {
  const long m = remote_syscall(
      t, SYS_mmap,
      {CKRR_TSC_STATE, CKRR_TSC_STATE_SIZE, PROT_READ | PROT_WRITE,
       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, static_cast<uint64_t>(-1), 0});
  if (m != static_cast<long>(CKRR_TSC_STATE)) return;  // (taken: the app keeps trapping)
  t.write(CKRR_TSC_STATE, &st, sizeof st);
}

bool rel32(uint64_t from_end, uint64_t to, int32_t* out) {
  const int64_t d = static_cast<int64_t>(to - from_end);
  if (d < INT32_MIN || d > INT32_MAX) return false;
  *out = static_cast<int32_t>(d);
  return true;
}

// A trampoline page within reach of site with room for a stub (made if needed), or 0.
uint64_t trampoline_for(Task& t, ckrr_tsc_state& st, uint64_t site, uint64_t entry) {
  int32_t d;
  for (uint32_t i = 0; i < st.ntramps && i < CKRR_TSC_TRAMPS; ++i) {
    uint64_t used = 0;
    const uint64_t tp = st.tramps[i];
    if (!rel32(site + 5, tp, &d) || !rel32(tp + CKRR_TSC_TRAMP_SIZE, site, &d)) continue;
    if (!t.try_read(tp + 8, &used, 8)) continue;
    if (CKRR_TSC_STUB_FIRST + (used + 1) * CKRR_TSC_STUB_SIZE <= CKRR_TSC_TRAMP_SIZE) return tp;
  }
  if (st.ntramps >= CKRR_TSC_TRAMPS) return 0;
  // 16 MiB below the site, then lower by 1 MiB steps: a place that depends only on the address
  // space, which replay has the same.
  const uint64_t start = (site & ~uint64_t{0xfffff}) - (uint64_t{16} << 20);
  for (int k = 0; k < 64; ++k) {
    const uint64_t at = start - (static_cast<uint64_t>(k) << 20);
    if (at > site || at < (1u << 20)) break;
    const long m = remote_syscall(
        t, SYS_mmap,
        {at, CKRR_TSC_TRAMP_SIZE, PROT_READ | PROT_EXEC,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, static_cast<uint64_t>(-1), 0});
    if (m == -EEXIST) continue;
    if (m != static_cast<long>(at)) return 0;
    const uint64_t head[2] = {entry, 0};  // what stubs call, stubs used
    t.write(at, head, sizeof head);
    st.tramps[st.ntramps++] = at;
    t.write(CKRR_TSC_STATE + offsetof(ckrr_tsc_state, ntramps), &st.ntramps, 4);
    t.write(CKRR_TSC_STATE + offsetof(ckrr_tsc_state, tramps), st.tramps, sizeof st.tramps);
    return at;
  }
  return 0;
}

// Patches site; returns where the moved instructions start in its stub (0: not patched).
uint64_t patch(Task& t, ckrr_tsc_state& st, uint64_t site, int len) {
  const uint64_t entry = st.entry;
  if (!entry) return 0;
  uint8_t code[40];
  if (!t.try_read(site, code, sizeof code)) return 0;
  if (!(len == 2 && code[0] == 0x0f && code[1] == 0x31) &&
      !(len == 3 && code[0] == 0x0f && code[1] == 0x01 && code[2] == 0xf9))
    return 0;
  int moved = len;  // the read, then whole instructions until a 5-byte jmp fits
  while (moved < 5) {
    const int n = TscSites::movable_len(code + moved, sizeof code - moved);
    if (!n) return 0;
    moved += n;
  }
  const uint64_t tp = trampoline_for(t, st, site, entry);
  if (!tp) return 0;
  uint64_t used = 0;
  t.read(tp + 8, &used, 8);
  const uint64_t stub = tp + CKRR_TSC_STUB_FIRST + used * CKRR_TSC_STUB_SIZE;
  uint8_t s[CKRR_TSC_STUB_SIZE];
  memset(s, 0xcc, sizeof s);
  size_t k = 0;
  const auto put = [&](std::initializer_list<uint8_t> b) {
    for (uint8_t x : b) s[k++] = x;
  };
  const auto put32 = [&](uint32_t v) {
    memcpy(s + k, &v, 4);
    k += 4;
  };
  put({0x48, 0x8d, 0x64, 0x24, 0x80});  // lea -0x80(%rsp), %rsp: over the red zone
  put({0x48, 0xba});                    // movabs $site, %rdx
  memcpy(s + k, &site, 8);
  k += 8;
  put({0xb8});  // mov $len, %eax
  put32(static_cast<uint32_t>(len));
  put({0xff, 0x15});  // call *entry(%rip): the page's first u64
  int32_t d;
  if (!rel32(stub + k + 4, tp, &d)) return 0;
  put32(static_cast<uint32_t>(d));
  put({0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00});  // lea 0x80(%rsp), %rsp
  const uint64_t moved_at = stub + k;
  memcpy(s + k, code + len, moved - len);  // the moved instructions: none uses rip
  k += moved - len;
  put({0xe9});  // jmp back after them
  if (!rel32(stub + k + 4, site + moved, &d)) return 0;
  put32(static_cast<uint32_t>(d));
  int32_t to_stub;
  if (!rel32(site + 5, stub, &to_stub)) return 0;
  t.write(stub, s, sizeof s);
  ++used;
  t.write(tp + 8, &used, 8);
  // jmp stub, then int3 over the rest of the moved bytes (a jump into them traps, visibly).
  uint8_t j[24];
  memset(j, 0xcc, sizeof j);
  j[0] = 0xe9;
  memcpy(j + 1, &to_stub, 4);
  t.write(site, j, moved);
  return moved_at;
}

}  // namespace

// Length of one instruction that may be moved into a stub, or 0. Only instructions that use
// registers and plain memory operands (no RIP-relative one, no branch, no rdtsc), as compilers
// put after a time-stamp read: mov/or/add/sub/and/xor/cmp between registers and memory,
// shifts by an immediate, lfence, nop. Anything else: the site keeps trapping.
int TscSites::movable_len(const uint8_t* p, size_t n) {
  size_t i = 0;
  if (i < n && p[i] == 0x66) ++i;           // operand size
  if (i < n && (p[i] & 0xf0) == 0x40) ++i;  // REX
  if (i >= n) return 0;
  const uint8_t op = p[i++];
  if (op == 0x90) return static_cast<int>(i);
  bool imm8 = false;
  if (op == 0x0f) {
    if (i + 1 < n + 0 && p[i] == 0xae && p[i + 1] == 0xe8)
      return static_cast<int>(i + 2);  // lfence
    if (i < n && p[i] == 0x1f)
      ++i;  // nop r/m
    else
      return 0;
  } else if (op == 0xc1) {
    imm8 = true;
  } else {
    static const uint8_t rm_ops[] = {0x01, 0x03, 0x09, 0x0b, 0x21, 0x23, 0x29, 0x2b,
                                     0x31, 0x33, 0x39, 0x3b, 0x85, 0x89, 0x8b};
    if (!memchr(rm_ops, op, sizeof rm_ops)) return 0;
  }
  if (i >= n) return 0;
  const uint8_t modrm = p[i++];
  const int mod = modrm >> 6, rm = modrm & 7;
  if (mod != 3 && rm == 4) {  // SIB
    if (i >= n) return 0;
    const uint8_t sib = p[i++];
    if (mod == 0 && (sib & 7) == 5) i += 4;
  } else if (mod == 0 && rm == 5) {
    return 0;  // RIP-relative
  }
  if (mod == 1) i += 1;
  if (mod == 2) i += 4;
  if (imm8) i += 1;
  return i <= n ? static_cast<int>(i) : 0;
}

void TscSites::forget(pid_t pid) {
  found().erase(pid);
}

uint64_t TscSites::site_of(const Registers& r) {
  return r.r8 == CKRR_TSC_FALLBACK_MAGIC && (r.rsi == 2 || r.rsi == 3) ? r.rdi : r.rip;
}

std::string TscSites::describe(Task& t, const Registers& r) {
  char buf[80];
  snprintf(buf, sizeof buf, "%s at 0x%llx%s", tsc_insn_len(t, r.rip) == 3 ? "rdtscp" : "rdtsc",
           static_cast<unsigned long long>(site_of(r)),
           site_of(r) != r.rip ? " (read by the agent)" : "");
  return buf;
}

uint64_t TscSites::record_value(Task& t, int len, uint64_t* aux, Event& ev) {
  ckrr_tsc_state st;
  if (!read_state(t, st)) {
    unsigned a = 0;
    const uint64_t real = len == 2 ? __rdtsc() : __rdtscp(&a);
    *aux = a;
    if (!agent_entry(t)) return real;
    // The first read in a process with the agent: from now on both paths use this clock.
    memset(&st, 0, sizeof st);
    st.magic = CKRR_TSC_MAGIC;
    st.base_ns = monotonic_ns();
    st.base_tsc = __rdtscp(&a);
    st.mult = mult_now();
    st.aux = a;
    st.entry = agent_entry(t);
    st.floor = st.base_tsc;
    create_state(t, st);
    // Replay makes the same page from these (a restored process's map may not name the agent).
    ev.args[2] = st.base_tsc;
    ev.args[3] = st.base_ns;
    ev.args[4] = (st.mult & kMultMask) | (st.aux << 40);
    ev.args[5] = st.entry;
    if (!read_state(t, st)) return real;
  }
  const uint64_t v = clock_value(st);
  t.write(CKRR_TSC_STATE + offsetof(ckrr_tsc_state, floor), &v, 8);
  *aux = st.aux;
  return v;
}

void TscSites::replay_value(Task& t, const Event& ev) {
  ckrr_tsc_state st;
  if (!read_state(t, st)) {
    if (!ev.args[4]) return;  // the recording made it at this read, or not yet
    memset(&st, 0, sizeof st);
    st.magic = CKRR_TSC_MAGIC;
    st.base_tsc = ev.args[2];
    st.base_ns = ev.args[3];
    st.mult = ev.args[4] & kMultMask;
    st.aux = ev.args[4] >> 40;
    st.entry = ev.args[5];
    st.floor = st.base_tsc;
    create_state(t, st);
    if (!read_state(t, st)) return;
  }
  const uint64_t v = static_cast<uint64_t>(ev.result);
  t.write(CKRR_TSC_STATE + offsetof(ckrr_tsc_state, floor), &v, 8);
}

void TscSites::after_trap(Task& t, uint64_t site, int len) {
  ckrr_tsc_state st;
  if (!read_state(t, st)) return;
  size_t i = 0;
  while (i < CKRR_TSC_SITES && st.sites[i].site && st.sites[i].site != site) ++i;
  if (i == CKRR_TSC_SITES) return;  // table full: other sites keep trapping
  ckrr_tsc_site& e = st.sites[i];
  e.site = site;
  ++e.count;
  t.write(CKRR_TSC_STATE + offsetof(ckrr_tsc_state, sites) + i * sizeof e, &e, sizeof e);
  if (e.count < CKRR_TSC_PATCH_AFTER || (e.count - CKRR_TSC_PATCH_AFTER) % 64 != 0) return;
  const uint64_t moved_at = patch(t, st, site, len);
  // The thread that trapped has its value and stands right after the read, now inside the
  // jmp: it goes on with the moved instructions in the stub.
  Registers r = t.regs();
  if (moved_at && r.rip == site + static_cast<uint64_t>(len)) {
    r.rip = moved_at;
    t.set_regs(r);
  }
}

}  // namespace ckrr
