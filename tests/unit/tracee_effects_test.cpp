// What a recorded tracer did to its tracee, carried by the tracer's event for replay.
#include <gtest/gtest.h>

#include "plugins/TraceeEffects.h"

namespace ckrr {
namespace {

TEST(TraceeEffects, RoundTripInOrderAmongOtherBlobs) {
  Event ev;
  ev.add_text(blob::kPath, "/proc/42/mem");
  add_tracee_effect(ev, {TraceeEffect::Kind::Memory, 42, 0x1000, {0xcc}});
  Registers r{};
  r.rip = 0x401000;
  TraceeEffect regs{TraceeEffect::Kind::Registers, 42, 0, {}};
  regs.bytes.assign(reinterpret_cast<uint8_t*>(&r), reinterpret_cast<uint8_t*>(&r) + sizeof r);
  add_tracee_effect(ev, regs);
  add_tracee_effect(ev, {TraceeEffect::Kind::Signal, 43, SIGUSR1, {}});
  std::vector<TraceeEffect> got = tracee_effects(ev);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].kind, TraceeEffect::Kind::Memory);
  EXPECT_EQ(got[0].tid, 42);
  EXPECT_EQ(got[0].value, 0x1000u);
  EXPECT_EQ(got[0].bytes, std::vector<uint8_t>{0xcc});
  ASSERT_EQ(got[1].bytes.size(), sizeof r);
  Registers back;
  memcpy(&back, got[1].bytes.data(), sizeof back);
  EXPECT_EQ(back.rip, 0x401000u);
  EXPECT_EQ(got[2].kind, TraceeEffect::Kind::Signal);
  EXPECT_EQ(got[2].tid, 43);
  EXPECT_EQ(got[2].value, static_cast<uint64_t>(SIGUSR1));
  EXPECT_TRUE(tracee_effects(Event{}).empty());
}

TEST(TraceeEffects, StopEventIsASynchronousSignalWithItsMarker) {
  siginfo_t si{};
  si.si_signo = SIGTRAP;
  si.si_code = SI_KERNEL;
  Registers r{};
  r.rip = 0x1235;
  Event ev = tracee_stop_event(SIGTRAP, si, r, kTracerSignalStop);
  EXPECT_EQ(ev.kind, EventKind::Signal);
  EXPECT_EQ(ev.nr, SIGTRAP);
  EXPECT_EQ(ev.args[0], 1u);
  EXPECT_EQ(ev.args[2], 0x1235u);
  EXPECT_EQ(ev.args[3], kTracerSignalStop);
  EXPECT_NE(ev.find_blob(blob::kRegs), nullptr);
}

}  // namespace
}  // namespace ckrr
