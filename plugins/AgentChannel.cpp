#include "plugins/AgentChannel.h"

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "AgentAbi.h"
#include "core/Error.h"
#include "core/MemoryMap.h"
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
  if (r.rdi == CKRR_AGENT_OP_REGISTER && in_region(slot) &&
      (slot - CKRR_AGENT_REGION) % CKRR_AGENT_SLOT_SIZE == 0) {
    ckrr_agent_header h{};
    h.magic = CKRR_AGENT_MAGIC;
    h.version = CKRR_AGENT_VERSION;
    h.mode = static_cast<uint32_t>(mode_);
    h.owner = rec_tid;
    h.capacity = CKRR_AGENT_SLOT_SIZE - CKRR_AGENT_HEADER_SIZE;
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
    if (read_header(t, s, h) && h.mode != CKRR_AGENT_OFF)
      t.write(s + offsetof(ckrr_agent_header, mode), &m, sizeof m);
  }
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
  if (found && h.mode != CKRR_AGENT_OFF && h.mode != static_cast<uint32_t>(mode_)) {
    uint32_t m = static_cast<uint32_t>(mode_);  // a checkpoint taken when recording
    t.write(found + offsetof(ckrr_agent_header, mode), &m, sizeof m);
  }
  slots_[rec_tid] = found;
  return found;
}

std::vector<Event> AgentChannel::take_records(Task& t, int32_t rec_tid) {
  std::vector<Event> out;
  auto it = slots_.find(rec_tid);
  if (it == slots_.end() || !it->second) return out;  // record: only registered threads
  ckrr_agent_header h;
  if (!read_header(t, it->second, h) || h.owner != rec_tid || h.used == 0) return out;
  if (h.used > h.capacity)
    throw Error("the agent's buffer is corrupt (thread " + std::to_string(rec_tid) + ")");
  std::vector<uint8_t> buf(h.used);
  t.read(it->second + CKRR_AGENT_HEADER_SIZE, buf.data(), buf.size());
  for (uint64_t off = 0; off + sizeof(ckrr_agent_record) <= buf.size();) {
    ckrr_agent_record rec;
    memcpy(&rec, &buf[off], sizeof rec);
    if (rec.size < sizeof rec || off + rec.size > buf.size())
      throw Error("the agent's buffer is corrupt (thread " + std::to_string(rec_tid) + ")");
    Event ev;
    ev.kind = EventKind::Syscall;
    ev.mode = ReplayMode::Emulate;
    ev.nr = static_cast<int32_t>(rec.nr);
    std::copy(rec.args, rec.args + 6, ev.args);
    ev.result = rec.result;
    uint64_t w = off + sizeof rec;
    for (int i = 0; i < rec.nwrites; ++i) {
      ckrr_agent_write cw;
      memcpy(&cw, &buf[w], sizeof cw);
      if (w + sizeof cw + cw.len > off + rec.size)
        throw Error("the agent's buffer is corrupt (thread " + std::to_string(rec_tid) + ")");
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
    rec.kind = CKRR_AGENT_REC_SYSCALL;
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
