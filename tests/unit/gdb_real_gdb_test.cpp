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

// Starts the inferior stopped at its exec under our ptrace, serves it to `gdb -batch -x script`
// and returns gdb's output; the script prints ALL CHECKS PASSED when every check held.
std::string run_gdb_script(const char* script, const char* inferior_arg, int* gdb_status,
                           const char* target_kind = "remote") {
  pid_t child = fork();
  if (child == 0) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    execl(CKRR_GDB_INFERIOR, CKRR_GDB_INFERIOR, inferior_arg, nullptr);
    _exit(127);
  }
  int st;
  EXPECT_EQ(waitpid(child, &st, 0), child);
  EXPECT_TRUE(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP);

  PtraceDebugTarget target(child);
  GdbServer server(target);
  uint16_t port = server.listen(parse_listen_address(":0"));

  std::string log = testing::TempDir() + "gdb_real_gdb_" + std::to_string(getpid()) + ".log";
  pid_t gdb = fork();
  if (gdb == 0) {
    setenv("CKRR_GDB_PORT", std::to_string(port).c_str(), 1);
    setenv("CKRR_GDB_TARGET", target_kind, 1);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    // timeout: a hung gdb closes the connection, which ends serve().
    execlp("timeout", "timeout", "120", "gdb", "-batch", "-nx", "-x", script, nullptr);
    _exit(127);
  }
  // The server runs on this thread: ptrace requests must come from the tracing thread.
  server.serve();
  EXPECT_EQ(waitpid(gdb, gdb_status, 0), gdb);
  std::ifstream in(log);
  std::stringstream out;
  out << in.rdbuf();
  unlink(log.c_str());
  if (getenv("CKRR_GDB_TEST_VERBOSE")) std::cout << out.str();
  return out.str();
}

TEST(GdbRealGdb, BreakStepFinishRegistersMemoryAndRefusals) {
  if (!have_gdb()) GTEST_SKIP() << "gdb is not installed";
  int st = 0;
  std::string out = run_gdb_script(CKRR_GDB_SOURCE_DIR "/gdb_real_gdb_check.py", nullptr, &st);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  EXPECT_NE(out.find("ALL CHECKS PASSED"), std::string::npos) << out;
  // gdb accepted every document we sent (target.xml, library list, threads).
  EXPECT_EQ(out.find("while parsing"), std::string::npos) << out;
}

TEST(GdbRealGdb, SameChecksOverExtendedRemote) {
  if (!have_gdb()) GTEST_SKIP() << "gdb is not installed";
  int st = 0;
  std::string out =
      run_gdb_script(CKRR_GDB_SOURCE_DIR "/gdb_real_gdb_check.py", nullptr, &st, "extended-remote");
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  EXPECT_NE(out.find("ALL CHECKS PASSED"), std::string::npos) << out;
}

TEST(GdbRealGdb, CtrlCInterruptsContinue) {
  if (!have_gdb()) GTEST_SKIP() << "gdb is not installed";
  int st = 0;
  std::string out = run_gdb_script(CKRR_GDB_SOURCE_DIR "/gdb_real_gdb_interrupt.py", "spin", &st);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  EXPECT_NE(out.find("ALL CHECKS PASSED"), std::string::npos) << out;
}

}  // namespace
}  // namespace ckrr::gdb
