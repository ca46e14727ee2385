// The fd table model that replay rebuilds from recorded results.
#include <gtest/gtest.h>

#include "plugins/ProcessState.h"

namespace ckrr {
namespace {

TEST(ProcessState, DupExecAndRoundTrip) {
  ProcessState p;
  p.recorded_pid = 1234;
  p.reset_std_fds();
  FdEntry f;
  f.path = "/etc/passwd";
  f.cloexec = true;
  p.fds[3] = f;
  p.dup_fd(1, 7, false);
  ASSERT_NE(p.fd(7), nullptr);
  EXPECT_EQ(p.fd(7)->std_stream, 1);
  std::vector<uint8_t> blob;
  p.serialize(blob);
  ProcessState q;
  ASSERT_TRUE(q.deserialize(blob));
  EXPECT_EQ(q.recorded_pid, 1234);
  EXPECT_EQ(q.describe_fds(), p.describe_fds());
  p.exec();  // close-on-exec fds go
  EXPECT_EQ(p.fd(3), nullptr);
  EXPECT_NE(p.fd(7), nullptr);
  EXPECT_NE(q.describe_fds(), p.describe_fds());
  EXPECT_FALSE(q.deserialize(std::vector<uint8_t>{'x'}));
}

}  // namespace
}  // namespace ckrr
