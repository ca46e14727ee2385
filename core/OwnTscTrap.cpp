#include "core/OwnTscTrap.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cstdint>
#include <cstring>

namespace ckrr {

namespace {

struct sigaction g_previous;
bool g_installed = false;

void on_segv(int sig, siginfo_t* si, void* ctx_void) {
  auto* ctx = static_cast<ucontext_t*>(ctx_void);
  greg_t* g = ctx->uc_mcontext.gregs;
  const auto* ip = reinterpret_cast<const uint8_t*>(g[REG_RIP]);
  int len = 0;
  if (si->si_code == SI_KERNEL) {
    if (ip[0] == 0x0f && ip[1] == 0x31) len = 2;                   // rdtsc
    if (ip[0] == 0x0f && ip[1] == 0x01 && ip[2] == 0xf9) len = 3;  // rdtscp
  }
  if (len) {
    prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
    unsigned aux = 0;
    uint64_t tsc = len == 2 ? __rdtsc() : __rdtscp(&aux);
    prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
    g[REG_RAX] = static_cast<greg_t>(tsc & 0xffffffffu);
    g[REG_RDX] = static_cast<greg_t>(tsc >> 32);
    if (len == 3) g[REG_RCX] = static_cast<greg_t>(aux);
    g[REG_RIP] += len;
    return;
  }
  // A real fault: hand it on as if this handler were not there.
  if (g_previous.sa_flags & SA_SIGINFO) {
    g_previous.sa_sigaction(sig, si, ctx_void);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
  } else {
    signal(SIGSEGV, SIG_DFL);  // returning re-executes the instruction and dies of it
  }
}

}  // namespace

void trap_own_tsc() {
  if (!g_installed) {
    struct sigaction sa {};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &g_previous) != 0) return;
    g_installed = true;
  }
  prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
}

void untrap_own_tsc() {
  prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
}

uint64_t monotonic_ns() {
  timespec ts;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace ckrr
