// Drives the real gdb (batch mode, Python checks in gdb_real_gdb_check.py) against GdbServer
// serving a live ptraced process through PtraceDebugTarget.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "replayer/gdb/GdbServer.h"
#include "replayer/gdb/PtraceDebugTarget.h"

namespace ckrr::gdb {
namespace {

bool have_gdb() {
  return system("gdb --version >/dev/null 2>&1") == 0;
}

TEST(GdbRealGdb, BreakStepFinishRegistersMemoryAndRefusals) {
  if (!have_gdb()) GTEST_SKIP() << "gdb is not installed";
  // The inferior, stopped at its exec under our ptrace.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    execl(CKRR_GDB_INFERIOR, CKRR_GDB_INFERIOR, nullptr);
    _exit(127);
  }
  int st;
  ASSERT_EQ(waitpid(child, &st, 0), child);
  ASSERT_TRUE(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP);

  PtraceDebugTarget target(child);
  GdbServer server(target);
  uint16_t port = server.listen(parse_listen_address(":0"));

  std::string log = testing::TempDir() + "gdb_real_gdb_" + std::to_string(getpid()) + ".log";
  pid_t gdb = fork();
  ASSERT_GE(gdb, 0);
  if (gdb == 0) {
    setenv("CKRR_GDB_PORT", std::to_string(port).c_str(), 1);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    // timeout: a hung gdb closes the connection, which ends serve().
    execlp("timeout", "timeout", "120", "gdb", "-batch", "-nx", "-x", CKRR_GDB_CHECK_SCRIPT,
           nullptr);
    _exit(127);
  }
  server.serve();
  ASSERT_EQ(waitpid(gdb, &st, 0), gdb);
  std::ifstream in(log);
  std::stringstream out;
  out << in.rdbuf();
  unlink(log.c_str());
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out.str();
  EXPECT_NE(out.str().find("ALL CHECKS PASSED"), std::string::npos) << out.str();
  if (getenv("CKRR_GDB_TEST_VERBOSE")) std::cout << out.str();
}

}  // namespace
}  // namespace ckrr::gdb
