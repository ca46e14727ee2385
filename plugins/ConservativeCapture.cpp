#include "plugins/ConservativeCapture.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/MemoryMap.h"

namespace ckrr {

namespace {

struct Range {
  uint64_t addr = 0;
  uint64_t len = 0;
};

// The writable bytes from addr up to kWindow, or len 0 when addr is not writable memory.
Range window_at(const std::vector<Mapping>& maps, uint64_t addr) {
  const Mapping* m = find_mapping(maps, addr);
  if (!m || !m->write || m->path == "[vvar]" || m->path == "[vdso]") return {};
  return {addr, std::min(ConservativeCapture::kWindow, m->end - addr)};
}

void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  uint8_t b[8];
  std::memcpy(b, &v, 8);
  out.insert(out.end(), b, b + 8);
}

}  // namespace

void ConservativeCapture::before(SyscallContext& ctx, const std::string& why) {
  ctx.event.add_text(blob::kConservative, why);
  ctx.session.note_conservative(why);
  std::vector<Mapping> maps = read_memory_map(ctx.task.tid());
  std::vector<Range> ranges;
  auto add = [&](uint64_t addr) {
    if (ranges.size() >= kMaxPointers) return false;
    Range r = window_at(maps, addr);
    if (!r.len) return false;
    for (const Range& o : ranges)
      if (o.addr == r.addr) return false;
    ranges.push_back(r);
    return true;
  };
  for (uint64_t a : ctx.args) add(a);
  // One level down: structs passed by pointer often carry pointers to the real buffers
  // (bpf attributes, xattr_args, ptrace iovecs).
  const size_t direct = ranges.size();
  for (size_t i = 0; i < direct; ++i) {
    uint64_t words[32] = {};
    uint64_t n = std::min<uint64_t>(ranges[i].len, sizeof words) / 8;
    if (!ctx.task.try_read(ranges[i].addr, words, n * 8)) continue;
    for (uint64_t k = 0; k < n; ++k)
      if (words[k] > 4096) add(words[k]);
  }
  std::vector<uint8_t> blob;
  for (const Range& r : ranges) {
    std::vector<uint8_t> bytes(r.len);
    if (!ctx.task.try_read(r.addr, bytes.data(), bytes.size())) continue;
    put_u64(blob, r.addr);
    put_u64(blob, r.len);
    blob.insert(blob.end(), bytes.begin(), bytes.end());
  }
  ctx.event.add_blob(blob::kBeforeCall, blob.data(), blob.size());
}

void ConservativeCapture::after(SyscallContext& ctx) {
  auto it = std::find_if(ctx.event.blobs.begin(), ctx.event.blobs.end(),
                         [](const Blob& b) { return b.tag == blob::kBeforeCall; });
  if (it == ctx.event.blobs.end()) return;
  std::vector<uint8_t> before = std::move(it->data);
  ctx.event.blobs.erase(it);
  size_t at = 0;
  while (at + 16 <= before.size()) {
    uint64_t addr, len;
    std::memcpy(&addr, &before[at], 8);
    std::memcpy(&len, &before[at + 8], 8);
    at += 16;
    if (at + len > before.size()) break;
    const uint8_t* old = &before[at];
    at += len;
    std::vector<uint8_t> now(len);
    if (!ctx.task.try_read(addr, now.data(), len)) {
      ctx.capture(addr, len);  // partly unmapped now: keep what is readable
      continue;
    }
    // Changed spans, merged across short unchanged gaps.
    constexpr uint64_t kGap = 32;
    uint64_t i = 0;
    while (i < len) {
      if (now[i] == old[i]) {
        ++i;
        continue;
      }
      uint64_t start = i, end = i + 1, same = 0;
      for (uint64_t j = i + 1; j < len && same <= kGap; ++j) {
        if (now[j] != old[j]) {
          end = j + 1;
          same = 0;
        } else {
          ++same;
        }
      }
      ctx.capture(addr + start, end - start);
      i = end;
    }
  }
}

}  // namespace ckrr
