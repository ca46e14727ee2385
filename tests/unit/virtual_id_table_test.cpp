// The plugins' virtual-id service: both directions, one mapping per id, saved with a checkpoint
// and restored under the kind numbers plugins registered.
#include <gtest/gtest.h>
#include <unistd.h>

#include "plugins/VirtualIdTable.h"

namespace ckrr {
namespace {

TEST(VirtualIdTable, MapsBothWaysAndTravels) {
  VirtualIdTable t;
  const int k = t.kind("example.port");
  EXPECT_GE(k, 2);
  EXPECT_EQ(t.kind("example.port"), k);
  EXPECT_EQ(t.kind("pid"), VirtualIdTable::kPid);
  EXPECT_FALSE(t.map(VirtualIdTable::kPid, 1, 2));  // read-only
  EXPECT_TRUE(t.map(k, 8080, 40000));
  EXPECT_EQ(t.to_real(k, 8080), 40000);
  EXPECT_EQ(t.to_virtual(k, 40000), 8080);
  EXPECT_EQ(t.to_real(k, 7), 7);       // unmapped: unchanged
  EXPECT_TRUE(t.map(k, 8080, 40001));  // remapped after a restart: the old real id is gone
  EXPECT_EQ(t.to_virtual(k, 40000), 40000);
  std::vector<uint8_t> saved;
  t.save_state(saved);

  VirtualIdTable u;
  const int other = u.kind("other");
  const int k2 = u.kind("example.port");
  u.restore_state(saved);
  EXPECT_EQ(u.to_real(k2, 8080), 40001);
  EXPECT_EQ(u.to_real(other, 8080), 8080);
}

TEST(VirtualIdTable, PidKindsDuringRestart) {
  VirtualIdTable t;
  EXPECT_EQ(t.to_virtual(VirtualIdTable::kPid, 123), 123);  // no restart: identity
  Task self(getpid(), getpid());  // not used by the table: any task will do
  RestartContext r{self, 500, 100, {{100, 500}, {101, 501}}};
  t.set_process(&r);
  EXPECT_EQ(t.to_virtual(VirtualIdTable::kPid, 500), 100);
  EXPECT_EQ(t.to_real(VirtualIdTable::kPid, 100), 500);
  EXPECT_EQ(t.to_real(VirtualIdTable::kTid, 101), 501);
  EXPECT_EQ(t.to_virtual(VirtualIdTable::kTid, 501), 101);
  t.set_process(nullptr);
}

}  // namespace
}  // namespace ckrr
