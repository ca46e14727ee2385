// Event names and the binary encoding of one event inside a chunk.
//
// Encoding (all integers LEB128 varints; signed ones zigzag-encoded first):
//   body_len | seq | kind | mode | zz(tid) | zz(nr) | args[6] | zz(result) | time_ns
//   | n_writes | (addr, len, bytes)* | n_blobs | (tag, len, bytes)*
// body_len covers everything after itself, so a decoder can check that the fields it reads
// account for exactly that many bytes. Varints keep the common small values (tids, fds,
// syscall numbers, short results) to one or two bytes.
#include <signal.h>

#include <cstring>

#include "core/SyscallNames.h"
#include "storage/Event.h"

namespace ckrr {

namespace {

constexpr struct {
  EventKind kind;
  const char* name;
} kKindNames[] = {
    {EventKind::Syscall, "syscall"}, {EventKind::Signal, "signal"}, {EventKind::Rdtsc, "rdtsc"},
    {EventKind::Exec, "exec"},       {EventKind::Exit, "exit"},     {EventKind::Preempt, "preempt"},
    {EventKind::Enter, "enter"},
};

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(uint8_t(v) | 0x80);
    v >>= 7;
  }
  out.push_back(uint8_t(v));
}

uint64_t zigzag(int64_t v) {
  return (uint64_t(v) << 1) ^ uint64_t(v >> 63);
}
int64_t unzigzag(uint64_t v) {
  return int64_t(v >> 1) ^ -int64_t(v & 1);
}

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Bounds-checked reader over [p, end). Every read fails (ok = false) instead of overrunning.
struct Cursor {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p == end) break;
      uint8_t b = *p++;
      // The 10th byte may only carry the top bit of a 64-bit value.
      if (shift == 63 && b > 1) break;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  int64_t svarint() { return unzigzag(varint()); }
  size_t left() const { return size_t(end - p); }
  // A length that must fit in what is left; guards every allocation against garbage sizes.
  size_t length() {
    uint64_t n = varint();
    if (n > left()) {
      ok = false;
      return 0;
    }
    return size_t(n);
  }
  void bytes(std::vector<uint8_t>& dst, size_t n) {
    dst.assign(p, p + n);
    p += n;
  }
};

}  // namespace

const char* event_kind_name(EventKind k) {
  for (const auto& e : kKindNames)
    if (e.kind == k) return e.name;
  return "unknown";
}

std::optional<EventKind> event_kind_from_name(std::string_view name) {
  for (const auto& e : kKindNames)
    if (name == e.name) return e.kind;
  return std::nullopt;
}

const Blob* Event::find_blob(uint16_t tag) const {
  for (const Blob& b : blobs)
    if (b.tag == tag) return &b;
  return nullptr;
}

void Event::add_blob(uint16_t tag, const void* data, size_t len) {
  Blob& b = blobs.emplace_back();
  b.tag = tag;
  const auto* p = static_cast<const uint8_t*>(data);
  b.data.assign(p, p + len);
}

std::string Event::name() const {
  switch (kind) {
    case EventKind::Syscall:
    case EventKind::Exec:
    case EventKind::Enter:
      return syscall_display_name(nr);
    case EventKind::Signal: {
      // sigabbrev_np knows the classic signals; real-time ones are shown by number as gdb does.
      const char* abbrev = nr > 0 ? sigabbrev_np(nr) : nullptr;
      return std::string("SIG") + (abbrev ? abbrev : std::to_string(nr));
    }
    case EventKind::Rdtsc:
      return "rdtsc";
    case EventKind::Exit:
      return "exit";
    case EventKind::Preempt:
      return "preempt";
  }
  return "unknown";
}

void encode_event(const Event& e, std::vector<uint8_t>& out) {
  // Encode the body after a placeholder, then insert its length in front.
  size_t start = out.size();
  put_varint(out, e.seq);
  put_varint(out, uint16_t(e.kind));
  put_varint(out, uint8_t(e.mode));
  put_varint(out, zigzag(e.tid));
  put_varint(out, zigzag(e.nr));
  for (uint64_t a : e.args) put_varint(out, a);
  put_varint(out, zigzag(e.result));
  put_varint(out, e.time_ns);
  put_varint(out, e.writes.size());
  for (const MemWrite& w : e.writes) {
    put_varint(out, w.addr);
    put_varint(out, w.bytes.size());
    out.insert(out.end(), w.bytes.begin(), w.bytes.end());
  }
  put_varint(out, e.blobs.size());
  for (const Blob& b : e.blobs) {
    put_varint(out, b.tag);
    put_varint(out, b.data.size());
    out.insert(out.end(), b.data.begin(), b.data.end());
  }
  size_t body = out.size() - start;
  uint8_t len[10];
  size_t n = varint_size(body);
  for (size_t i = 0, v = body; i < n; ++i, v >>= 7)
    len[i] = uint8_t(v & 0x7f) | (i + 1 < n ? 0x80 : 0);
  out.insert(out.begin() + ptrdiff_t(start), len, len + n);
}

size_t decode_event(const uint8_t* p, size_t n, Event& e) {
  Cursor outer{p, p + n};
  size_t body = outer.length();
  if (!outer.ok) return 0;
  Cursor c{outer.p, outer.p + body};

  Event d;
  d.seq = c.varint();
  uint64_t kind = c.varint();
  uint64_t mode = c.varint();
  int64_t tid = c.svarint();
  int64_t nr = c.svarint();
  if (!c.ok || kind < 1 || kind > 7 || mode > 2 || tid != int32_t(tid) || nr != int32_t(nr)) {
    return 0;
  }
  d.kind = EventKind(kind);
  d.mode = ReplayMode(mode);
  d.tid = int32_t(tid);
  d.nr = int32_t(nr);
  for (uint64_t& a : d.args) a = c.varint();
  d.result = c.svarint();
  d.time_ns = c.varint();

  // Each entry takes at least 2 bytes, which bounds the count by what is left.
  uint64_t n_writes = c.varint();
  if (!c.ok || n_writes > c.left() / 2) return 0;
  d.writes.resize(n_writes);
  for (MemWrite& w : d.writes) {
    w.addr = c.varint();
    size_t len = c.length();
    if (!c.ok) return 0;
    c.bytes(w.bytes, len);
  }
  uint64_t n_blobs = c.varint();
  if (!c.ok || n_blobs > c.left() / 2) return 0;
  d.blobs.resize(n_blobs);
  for (Blob& b : d.blobs) {
    uint64_t tag = c.varint();
    size_t len = c.length();
    if (!c.ok || tag > UINT16_MAX) return 0;
    b.tag = uint16_t(tag);
    c.bytes(b.data, len);
  }
  // The fields must account for the whole body, no more, no less.
  if (!c.ok || c.p != c.end) return 0;
  e = std::move(d);
  return size_t(c.end - p);
}

}  // namespace ckrr
