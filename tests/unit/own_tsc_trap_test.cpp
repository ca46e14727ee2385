// The supervisor traps its own rdtsc (cheaper ptrace stops on this VM): its time-stamp reads
// keep working through the emulating handler, and a real fault still kills it.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "core/OwnTscTrap.h"

namespace ckrr {
namespace {

int run_in_child(void (*body)()) {
  pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

TEST(OwnTscTrap, RdtscStillWorksWhileTrapped) {
  int st = run_in_child([] {
    trap_own_tsc();
    int mode = 0;
    if (prctl(PR_GET_TSC, &mode, 0, 0, 0) != 0 || mode != PR_TSC_SIGSEGV) _exit(2);
    uint64_t a = __rdtsc();
    unsigned aux = 0;
    uint64_t b = __rdtscp(&aux);
    if (!(b > a)) _exit(3);
    timespec ts{};  // the vDSO's clock_gettime reads the TSC too
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 || ts.tv_sec == 0) _exit(4);
    if (monotonic_ns() == 0) _exit(5);
    untrap_own_tsc();
    if (prctl(PR_GET_TSC, &mode, 0, 0, 0) != 0 || mode != PR_TSC_ENABLE) _exit(6);
  });
  ASSERT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(OwnTscTrap, RealFaultStillKills) {
  int st = run_in_child([] {
    signal(SIGSEGV, SIG_DFL);
    trap_own_tsc();
    *static_cast<volatile int*>(nullptr) = 1;
  });
  ASSERT_TRUE(WIFSIGNALED(st)) << st;
  EXPECT_EQ(WTERMSIG(st), SIGSEGV);
}

}  // namespace
}  // namespace ckrr
