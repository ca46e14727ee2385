// Positions between events (ReplayPosition) and how watchpoints map onto debug registers.
#include <gtest/gtest.h>

#include "replayer/DebugRegisters.h"
#include "replayer/ReplayPosition.h"

namespace ckrr {
namespace {

TEST(ReplayPosition, MergesRepeatedActionsAndDropsTheLastUnit) {
  BreakSet a;
  a.sw = {0x1000};
  BreakSet b = a;
  b.sw.insert(0x2000);
  Position p{7, {}, false};
  p.add_continue(a);
  p.add_continue(a);
  p.add_step();
  p.add_step();
  p.add_continue(b);
  ASSERT_EQ(p.path.size(), 3u);
  EXPECT_EQ(p.path[0].count, 2u);
  EXPECT_EQ(p.path[1].kind, PathAction::Kind::Step);
  EXPECT_EQ(p.path[1].count, 2u);
  Position q = p.drop_last();
  ASSERT_EQ(q.path.size(), 2u);
  q = q.drop_last();
  ASSERT_EQ(q.path.size(), 2u);
  EXPECT_EQ(q.path[1].count, 1u);
  EXPECT_EQ(q.event, 7u);
  EXPECT_NE(p.describe().find("event 7"), std::string::npos);
}

TEST(ReplayPosition, UniteKeepsEachWatchOnce) {
  BreakSet a, b;
  a.sw = {1, 2};
  a.hw = {{0x100, 4, gdb::WatchKind::Write}};
  b.sw = {2, 3};
  b.hw = {{0x100, 4, gdb::WatchKind::Write}, {0x200, 8, gdb::WatchKind::Access}};
  BreakSet u = a.unite(b);
  EXPECT_EQ(u.sw, (std::set<uint64_t>{1, 2, 3}));
  EXPECT_EQ(u.hw.size(), 2u);
}

TEST(DebugRegisters, SplitsWatchesIntoAlignedSlots) {
  std::vector<DebugSlot> slots;
  ASSERT_TRUE(plan_debug_slots({{0x1000, 8, gdb::WatchKind::Write}}, slots));
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].len, 8u);
  // 6 bytes at an odd address: 1 + 4 + 1.
  ASSERT_TRUE(plan_debug_slots({{0x1003, 6, gdb::WatchKind::Write}}, slots));
  ASSERT_EQ(slots.size(), 3u);
  EXPECT_EQ(slots[0].addr, 0x1003u);
  EXPECT_EQ(slots[0].len, 1u);
  EXPECT_EQ(slots[1].addr, 0x1004u);
  EXPECT_EQ(slots[1].len, 4u);
  EXPECT_EQ(slots[2].addr, 0x1008u);
  EXPECT_EQ(slots[2].len, 1u);
  // More than the four registers.
  EXPECT_FALSE(plan_debug_slots({{0x1000, 40, gdb::WatchKind::Write}}, slots));
}

}  // namespace
}  // namespace ckrr
