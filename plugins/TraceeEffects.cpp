#include "plugins/TraceeEffects.h"

#include <cstring>

namespace ckrr {

namespace {
struct Header {
  uint32_t kind;
  int32_t tid;
  uint64_t value;
};
}  // namespace

void add_tracee_effect(Event& ev, const TraceeEffect& e) {
  std::vector<uint8_t> data(sizeof(Header) + e.bytes.size());
  const Header h{static_cast<uint32_t>(e.kind), e.tid, e.value};
  std::memcpy(data.data(), &h, sizeof h);
  if (!e.bytes.empty()) std::memcpy(data.data() + sizeof h, e.bytes.data(), e.bytes.size());
  ev.add_blob(blob::kTraceeEffect, data.data(), data.size());
}

std::vector<TraceeEffect> tracee_effects(const Event& ev) {
  std::vector<TraceeEffect> out;
  for (const Blob& b : ev.blobs) {
    if (b.tag != blob::kTraceeEffect || b.data.size() < sizeof(Header)) continue;
    Header h;
    std::memcpy(&h, b.data.data(), sizeof h);
    TraceeEffect e;
    e.kind = static_cast<TraceeEffect::Kind>(h.kind);
    e.tid = h.tid;
    e.value = h.value;
    e.bytes.assign(b.data.begin() + sizeof h, b.data.end());
    out.push_back(std::move(e));
  }
  return out;
}

Event tracee_stop_event(int sig, const siginfo_t& si, const Registers& regs, uint64_t marker) {
  Event ev;
  ev.kind = EventKind::Signal;
  ev.mode = ReplayMode::Emulate;
  ev.nr = sig;
  ev.args[0] = 1;  // synchronous: replay meets it by running the thread
  ev.args[1] = reinterpret_cast<uint64_t>(si.si_addr);
  ev.args[2] = regs.rip;
  ev.args[3] = marker;
  ev.add_blob(blob::kSigInfo, &si, sizeof si);
  ev.add_blob(blob::kRegs, &regs, sizeof regs);
  return ev;
}

}  // namespace ckrr
