#include "recorder/RecorderSignals.h"

#include <signal.h>

#include <atomic>

namespace ckrr {

namespace {

constexpr int kMaxSig = 65;
volatile sig_atomic_t g_any = 0;
volatile sig_atomic_t g_pending[kMaxSig];
std::atomic<pid_t> g_sender[kMaxSig];

void on_signal(int sig, siginfo_t* si, void*) {
  // The terminal's ^C and ^\ went to the whole foreground group: the program decides.
  if ((sig == SIGINT || sig == SIGQUIT) && si->si_code == SI_KERNEL) return;
  g_sender[sig].store(si->si_code <= 0 ? si->si_pid : 0, std::memory_order_relaxed);
  g_pending[sig] = 1;
  g_any = 1;
}

bool handled(int sig) {
  switch (sig) {
    case SIGTERM:
    case SIGHUP:
    case SIGINT:
    case SIGQUIT:
    case SIGUSR1:
    case SIGUSR2:
    case SIGVTALRM:
    case SIGPROF:
    case SIGPWR:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSTKFLT:
    case SIGIO:
    case SIGALRM:  // until the tick timer takes it over (a stray one is then a harmless tick)
      return true;
  }
  return sig >= SIGRTMIN && sig <= SIGRTMAX;
}

}  // namespace

void install_recorder_signal_handlers() {
  for (int sig = 1; sig < kMaxSig; ++sig) {
    if (!handled(sig)) continue;
    struct sigaction sa {};
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: the loop's waitpid returns EINTR
    sigaction(sig, &sa, nullptr);
  }
  // A program stopping its own group (kill(0, SIGTSTP)) must not stop its recorder; the
  // terminal's ^Z reaches the program, which is never stopped while recorded.
  signal(SIGTSTP, SIG_IGN);
  signal(SIGTTIN, SIG_IGN);
  signal(SIGTTOU, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
}

bool signals_to_recorder_pending() {
  return g_any != 0;
}

std::vector<SignalToRecorder> take_signals_to_recorder() {
  std::vector<SignalToRecorder> out;
  g_any = 0;
  for (int sig = 1; sig < kMaxSig; ++sig) {
    if (!g_pending[sig]) continue;
    g_pending[sig] = 0;
    out.push_back({sig, g_sender[sig].load(std::memory_order_relaxed)});
  }
  return out;
}

}  // namespace ckrr
