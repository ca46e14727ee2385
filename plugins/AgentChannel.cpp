#include "plugins/AgentChannel.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>

#include "AgentAbi.h"
#include "core/Error.h"
#include "core/MemoryMap.h"
#include "core/RemoteSyscall.h"
#include "core/VdsoPatch.h"

namespace ckrr {

namespace {

uint64_t pad8(uint64_t n) {
  return (n + 7) & ~uint64_t{7};
}

bool read_header(Task& t, uint64_t slot, ckrr_agent_header& h) {
  return slot && t.try_read(slot, &h, sizeof h) && h.magic == CKRR_AGENT_MAGIC &&
         h.version == CKRR_AGENT_VERSION;
}

// The vDSO's clock entries jump into the agent (libc calls them directly, not through the
// wrappers the agent defines). In record and replay alike, whatever the mode.
void redirect_vdso_to_agent(Task& t, uint64_t table, uint64_t count) {
  if (!table || !count || count > CKRR_AGENT_VDSO_MAX) return;
  ckrr_agent_vdso entries[CKRR_AGENT_VDSO_MAX];
  if (!t.try_read(table, entries, count * sizeof entries[0])) return;
  std::vector<std::pair<long, uint64_t>> to;
  for (uint64_t i = 0; i < count; ++i)
    to.emplace_back(static_cast<long>(entries[i].nr), entries[i].fn);
  for (const Mapping& m : read_memory_map(t.tid()))
    if (m.path == "[vdso]") redirect_vdso(t, m.start, to);
}

}  // namespace

bool AgentChannel::in_region(uint64_t addr) {
  return addr >= CKRR_AGENT_REGION && addr < CKRR_AGENT_REGION_END;
}

bool AgentChannel::answer_request(Task& t, int32_t rec_tid) {
  Registers r = t.regs();
  if (static_cast<long>(r.orig_rax) != CKRR_AGENT_SYSCALL) return false;
  int64_t result = -ENOSYS;
  const uint64_t slot = r.rsi;
  bool mapped = r.rdi == CKRR_AGENT_OP_REGISTER;  // an older agent maps its slot itself
  if (r.rdi == CKRR_AGENT_OP_REGISTER_MAPPED && in_region(slot) &&
      (slot - CKRR_AGENT_REGION) % CKRR_AGENT_SLOT_SIZE == 0) {
    // Mapped here, in record and replay alike: no event for the agent's own setup.
    const long got = remote_syscall(
        t, SYS_mmap,
        {slot, CKRR_AGENT_SLOT_SIZE, PROT_READ | PROT_WRITE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, static_cast<uint64_t>(-1), 0});
    mapped = got == static_cast<long>(slot);
    if (!mapped) result = -ENOMEM;
  }
  if (mapped && in_region(slot) && (slot - CKRR_AGENT_REGION) % CKRR_AGENT_SLOT_SIZE == 0) {
    ckrr_agent_header h{};
    h.magic = CKRR_AGENT_MAGIC;
    h.version = CKRR_AGENT_VERSION;
    const auto forced = modes_.find(rec_tid);
    h.mode = static_cast<uint32_t>(forced != modes_.end() ? forced->second : mode_);
    h.owner = rec_tid;
    h.capacity = CKRR_AGENT_SLOT_SIZE - CKRR_AGENT_HEADER_SIZE;
    h.stubs = r.r8;
    h.entry = r.r9;
    t.write(slot, &h, sizeof h);  // the slot was just mapped by the thread itself
    redirect_vdso_to_agent(t, r.rdx, r.r10);
    slots_[rec_tid] = slot;
    if (auto f = filled_.find(rec_tid); f != filled_.end() && !f->second.written)
      write_filled(t, slot, f->second);
    result = 0;
  }
  r.orig_rax = static_cast<uint64_t>(-1);  // skipped: the kernel never sees the number
  r.rax = static_cast<uint64_t>(result);
  t.set_regs(r);
  return true;
}

void AgentChannel::set_mode_all(Task& t, Mode mode) {
  ckrr_agent_header h;
  const uint32_t m = static_cast<uint32_t>(mode);
  for (uint64_t i = 0; i < CKRR_AGENT_SLOTS; ++i) {
    uint64_t s = CKRR_AGENT_REGION + i * CKRR_AGENT_SLOT_SIZE;
    // (Replay: Off slots too. The recorder turns slots Off for a while (a vfork parent's) or
    // for good (a thread an app's tracer follows); in replay a slot given no record traps
    // the same calls, so Replay is right for all.)
    if (read_header(t, s, h) && (h.mode != CKRR_AGENT_OFF || mode == Mode::Replay))
      t.write(s + offsetof(ckrr_agent_header, mode), &m, sizeof m);
  }
}

void AgentChannel::request_stop(Task& t, int32_t rec_tid) {
  auto it = slots_.find(rec_tid);
  if (it == slots_.end() || !it->second) return;
  const uint64_t one = 1;
  try {  // (a running thread's memory: /proc/PID/mem writes need no stop)
    t.write(it->second + offsetof(ckrr_agent_header, stop_soon), &one, sizeof one);
  } catch (const Error&) {  // gone meanwhile: its end is the stop
  }
}

void AgentChannel::set_mode(Task& t, int32_t rec_tid, Mode mode) {
  const uint32_t m = static_cast<uint32_t>(mode);
  modes_[rec_tid] = mode;
  if (const uint64_t s = slot_of(t, rec_tid))
    t.write(s + offsetof(ckrr_agent_header, mode), &m, sizeof m);
}

uint64_t AgentChannel::slot_of(Task& t, int32_t rec_tid) {
  auto it = slots_.find(rec_tid);
  ckrr_agent_header h;
  if (it != slots_.end()) {
    if (!it->second) return 0;
    if (read_header(t, it->second, h) && h.owner == rec_tid) return it->second;
  }
  // Not registered in this session (a restored process) or stale (after an exec): look.
  uint64_t found = 0;
  for (uint64_t i = 0; i < CKRR_AGENT_SLOTS && !found; ++i) {
    uint64_t s = CKRR_AGENT_REGION + i * CKRR_AGENT_SLOT_SIZE;
    if (read_header(t, s, h) && h.owner == rec_tid) found = s;
  }
  if (found && h.mode != static_cast<uint32_t>(mode_) &&
      (h.mode != CKRR_AGENT_OFF || mode_ == Mode::Replay)) {
    uint32_t m = static_cast<uint32_t>(mode_);  // a checkpoint taken when recording
    t.write(found + offsetof(ckrr_agent_header, mode), &m, sizeof m);
  }
  slots_[rec_tid] = found;
  return found;
}

namespace {

// The calls the agent buffers (agent/ckrr_agent.c, ckrr_buffered_nr): their libc sites are
// worth patching.
bool buffered_nr(long nr) {
  switch (nr) {
    case SYS_read:
    case SYS_pread64:
    case SYS_fstat:
    case SYS_stat:
    case SYS_lstat:
    case SYS_newfstatat:
    case SYS_statx:
    case SYS_lseek:
    case SYS_clock_gettime:
    case SYS_gettimeofday:
    case SYS_time:
    case SYS_getuid:
    case SYS_geteuid:
    case SYS_getgid:
    case SYS_getegid:
    case SYS_getpid:
    case SYS_getppid:
    case SYS_gettid:
    case SYS_readlink:
    case SYS_readlinkat:
    case SYS_access:
    case SYS_faccessat:
    case SYS_faccessat2:
    case SYS_getdents64:
    case SYS_fcntl:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool AgentChannel::may_buffer(long nr) {
  return buffered_nr(nr);
}

namespace {

bool rel32(uint64_t from_next, uint64_t to, int32_t* out) {
  const int64_t d = static_cast<int64_t>(to - from_next);
  if (d < INT32_MIN || d > INT32_MAX) return false;
  *out = static_cast<int32_t>(d);
  return true;
}

}  // namespace

bool AgentChannel::patch_site(Task& t, int32_t rec_tid) {
  const Registers& r = t.regs();
  const long nr = static_cast<long>(r.orig_rax);
  if (!buffered_nr(nr)) return false;
  const uint64_t slot = slot_of(t, rec_tid);
  ckrr_agent_header h;
  // (Whatever the mode: the recorder turns slots Off where replay keeps them Replay, and the
  // code must be patched at the same stops in both.)
  if (!read_header(t, slot, h) || !h.stubs || !h.entry) return false;
  // `mov $nr, %eax; syscall` before rip, `cmp $-4096, %rax` at rip.
  const uint64_t x = r.rip;
  uint8_t code[13];
  if (x < 7 || !t.try_read(x - 7, code, sizeof code)) return false;
  const uint8_t cmp[6] = {0x48, 0x3d, 0x00, 0xf0, 0xff, 0xff};
  uint32_t imm;
  memcpy(&imm, code + 1, 4);
  if (code[0] != 0xb8 || imm != static_cast<uint32_t>(nr) || code[5] != 0x0f || code[6] != 0x05 ||
      memcmp(code + 7, cmp, sizeof cmp) != 0)
    return false;
  if (x - 7 >= h.stubs && x - 7 < h.stubs + CKRR_AGENT_STUB_AREA_SIZE) return false;
  uint64_t used = 0;
  if (!t.try_read(h.stubs, &used, sizeof used)) return false;
  const uint64_t stub = h.stubs + CKRR_AGENT_STUB_FIRST + used * CKRR_AGENT_STUB_SIZE;
  if (stub + CKRR_AGENT_STUB_SIZE > h.stubs + CKRR_AGENT_STUB_AREA_SIZE) return false;
  int32_t to_stub, to_entry, back;
  if (!rel32(x - 2, stub, &to_stub) || !rel32(stub + 15, h.entry, &to_entry) ||
      !rel32(stub + 28, x, &back))
    return false;
  uint8_t s[CKRR_AGENT_STUB_SIZE];
  memset(s, 0xcc, sizeof s);
  s[0] = 0xb8;  // mov $nr, %eax
  memcpy(s + 1, &imm, 4);
  const uint8_t below_red_zone[5] = {0x48, 0x8d, 0x64, 0x24, 0x80};  // lea -0x80(%rsp), %rsp
  memcpy(s + 5, below_red_zone, 5);
  s[10] = 0xe8;  // call entry
  memcpy(s + 11, &to_entry, 4);
  const uint8_t back_up[8] = {0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00};  // lea 0x80(%rsp)
  memcpy(s + 15, back_up, 8);
  s[23] = 0xe9;  // jmp back to the cmp
  memcpy(s + 24, &back, 4);
  t.write(stub, s, sizeof s);
  ++used;
  t.write(h.stubs, &used, sizeof used);
  // jmp stub; jmp .-5 (a thread stopped between the mov and the syscall goes to the stub too).
  uint8_t site[7] = {0xe9, 0, 0, 0, 0, 0xeb, 0xf9};
  memcpy(site + 1, &to_stub, 4);
  t.write(x - 7, site, sizeof site);
  return true;
}

std::vector<Event> AgentChannel::take_records(Task& t, int32_t rec_tid, bool exiting) {
  std::vector<Event> out;
  auto it = slots_.find(rec_tid);
  if (it == slots_.end() || !it->second) return out;  // record: only registered threads
  ckrr_agent_header h;
  if (!read_header(t, it->second, h) || h.owner != rec_tid) return out;
  if (h.stop_soon) {  // the stop it was asked for (or another)
    const uint64_t zero = 0;
    t.write(it->second + offsetof(ckrr_agent_header, stop_soon), &zero, sizeof zero);
  }
  if (h.used == 0) return out;
  if (h.busy && !exiting) return out;  // flushed at its next stop
  if (h.used > h.capacity)
    throw Error("the agent's buffer is corrupt (thread " + std::to_string(rec_tid) + ": " +
                std::to_string(h.used) + " bytes used of " + std::to_string(h.capacity) +
                ", slot " + std::to_string(it->second) + ", mode " + std::to_string(h.mode) + ")");
  std::vector<uint8_t> buf(h.used);
  t.read(it->second + CKRR_AGENT_HEADER_SIZE, buf.data(), buf.size());
  for (uint64_t off = 0; off + sizeof(ckrr_agent_record) <= buf.size();) {
    ckrr_agent_record rec;
    memcpy(&rec, &buf[off], sizeof rec);
    if (rec.size < sizeof rec || off + rec.size > buf.size())
      throw Error("the agent's buffer is corrupt (thread " + std::to_string(rec_tid) +
                  ", record at " + std::to_string(off) + " of " + std::to_string(buf.size()) +
                  " bytes, size " + std::to_string(rec.size) + ", count " +
                  std::to_string(h.count) + ")");
    Event ev;
    // A time-stamp read at a patched site (TscSites) is an rdtsc event like a trapped one.
    ev.kind = rec.kind == CKRR_AGENT_REC_TSC ? EventKind::Rdtsc : EventKind::Syscall;
    ev.mode = ReplayMode::Emulate;
    ev.nr = static_cast<int32_t>(rec.nr);
    std::copy(rec.args, rec.args + 6, ev.args);
    ev.result = rec.result;
    uint64_t w = off + sizeof rec;
    int paths = 0;
    for (int i = 0; i < rec.nwrites; ++i) {
      ckrr_agent_write cw;
      memcpy(&cw, &buf[w], sizeof cw);
      if (w + sizeof cw + cw.len > off + rec.size)
        throw Error("the agent's buffer is corrupt (thread " + std::to_string(rec_tid) + ")");
      if (cw.addr & CKRR_AGENT_INPUT) {  // a path the call read: shown as a stopped call's
        const char* p = reinterpret_cast<const char*>(&buf[w + sizeof cw]);
        ev.add_text(paths++ == 0 ? blob::kPath : blob::kPath2, std::string(p, cw.len));
        w += sizeof cw + pad8(cw.len);
        continue;
      }
      MemWrite mw;
      mw.addr = cw.addr;
      mw.bytes.assign(&buf[w + sizeof cw], &buf[w + sizeof cw] + cw.len);
      ev.writes.push_back(std::move(mw));
      w += sizeof cw + pad8(cw.len);
    }
    ev.add_blob(blob::kBuffered, nullptr, 0);
    out.push_back(std::move(ev));
    off += rec.size;
  }
  const uint64_t zero[2] = {0, 0};  // used, consumed
  t.write(it->second + offsetof(ckrr_agent_header, used), zero, sizeof zero);
  t.write(it->second + offsetof(ckrr_agent_header, count), zero, 8);
  return out;
}

uint64_t AgentChannel::record_size(const Event& ev) {
  uint64_t n = sizeof(ckrr_agent_record);
  for (const MemWrite& w : ev.writes) n += sizeof(ckrr_agent_write) + pad8(w.bytes.size());
  return n;
}

uint64_t AgentChannel::capacity() {
  return CKRR_AGENT_SLOT_SIZE - CKRR_AGENT_HEADER_SIZE;
}

bool AgentChannel::fill(Task& t, int32_t rec_tid, std::vector<Event> events) {
  Filled& f = filled_[rec_tid];
  f.offsets.clear();
  f.events = std::move(events);
  f.written = false;
  // A thread's first buffered calls come before its request for a slot: written then.
  if (const uint64_t slot = slot_of(t, rec_tid)) write_filled(t, slot, f);
  return true;
}

void AgentChannel::write_filled(Task& t, uint64_t slot, Filled& f) {
  std::vector<uint8_t> buf;
  f.offsets.clear();
  for (const Event& ev : f.events) {
    f.offsets.push_back(buf.size());
    ckrr_agent_record rec{};
    rec.kind = ev.kind == EventKind::Rdtsc ? CKRR_AGENT_REC_TSC : CKRR_AGENT_REC_SYSCALL;
    rec.nwrites = static_cast<uint16_t>(ev.writes.size());
    rec.nr = ev.nr;
    std::copy(ev.args, ev.args + 6, rec.args);
    rec.result = ev.result;
    const size_t at = buf.size();
    buf.resize(at + sizeof rec);
    for (const MemWrite& mw : ev.writes) {
      ckrr_agent_write cw{mw.addr, mw.bytes.size()};
      size_t w = buf.size();
      buf.resize(w + sizeof cw + pad8(cw.len));
      memcpy(&buf[w], &cw, sizeof cw);
      memcpy(&buf[w + sizeof cw], mw.bytes.data(), mw.bytes.size());
    }
    rec.size = static_cast<uint32_t>(buf.size() - at);
    memcpy(&buf[at], &rec, sizeof rec);
  }
  if (buf.size() > CKRR_AGENT_SLOT_SIZE - CKRR_AGENT_HEADER_SIZE)
    throw Error("buffered events do not fit the agent's buffer");
  t.write(slot + CKRR_AGENT_HEADER_SIZE, buf.data(), buf.size());
  const uint64_t hdr[3] = {buf.size(), 0, f.events.size()};  // used, consumed, count
  t.write(slot + offsetof(ckrr_agent_header, used), hdr, sizeof hdr);
  f.written = true;
}

bool AgentChannel::all_taken(Task& t, int32_t rec_tid) {
  auto it = filled_.find(rec_tid);
  if (it == filled_.end() || it->second.events.empty()) return true;
  if (!it->second.written) return false;
  ckrr_agent_header h;
  const uint64_t slot = slot_of(t, rec_tid);
  return !read_header(t, slot, h) || h.consumed >= h.used;
}

std::optional<Event> AgentChannel::untaken(Task& t, int32_t rec_tid) {
  auto it = filled_.find(rec_tid);
  if (it == filled_.end() || it->second.events.empty()) return std::nullopt;
  Filled f = std::move(it->second);
  filled_.erase(it);
  ckrr_agent_header h;
  const uint64_t slot = f.written ? slot_of(t, rec_tid) : 0;
  if (!read_header(t, slot, h)) return std::move(f.events.front());
  for (size_t i = 0; i < f.offsets.size(); ++i)
    if (f.offsets[i] >= h.consumed) return std::move(f.events[i]);
  return std::nullopt;
}

}  // namespace ckrr
