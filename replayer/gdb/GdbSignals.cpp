#include "replayer/gdb/GdbSignals.h"

#include <signal.h>

namespace ckrr::gdb {

namespace {

// gdb's numbers (gdbsupport/signals.def) for the classic signals.
struct Pair {
  int host, gdb;
};
constexpr Pair kClassic[] = {
    {SIGHUP, 1},     {SIGINT, 2},   {SIGQUIT, 3},   {SIGILL, 4},   {SIGTRAP, 5},  {SIGABRT, 6},
    {SIGFPE, 8},     {SIGKILL, 9},  {SIGBUS, 10},   {SIGSEGV, 11}, {SIGSYS, 12},  {SIGPIPE, 13},
    {SIGALRM, 14},   {SIGTERM, 15}, {SIGURG, 16},   {SIGSTOP, 17}, {SIGTSTP, 18}, {SIGCONT, 19},
    {SIGCHLD, 20},   {SIGTTIN, 21}, {SIGTTOU, 22},  {SIGIO, 23},   {SIGXCPU, 24}, {SIGXFSZ, 25},
    {SIGVTALRM, 26}, {SIGPROF, 27}, {SIGWINCH, 28}, {SIGUSR1, 30}, {SIGUSR2, 31}, {SIGPWR, 32},
};

// Real-time signals: gdb numbers 33..63 as 45..75, then 32 as 77 and 64 as 78.
constexpr int kGdbRealtime33 = 45;
constexpr int kGdbRealtime32 = 77;
constexpr int kGdbRealtime64 = 78;

}  // namespace

int host_to_gdb_signal(int sig) {
  if (sig == 0) return 0;
  for (const Pair& p : kClassic)
    if (p.host == sig) return p.gdb;
  if (sig == 32) return kGdbRealtime32;
  if (sig >= 33 && sig <= 63) return kGdbRealtime33 + (sig - 33);
  if (sig == 64) return kGdbRealtime64;
  return kGdbSignalUnknown;
}

int gdb_to_host_signal(int gdb_sig) {
  if (gdb_sig == 0) return 0;
  for (const Pair& p : kClassic)
    if (p.gdb == gdb_sig) return p.host;
  if (gdb_sig == kGdbRealtime32) return 32;
  if (gdb_sig >= kGdbRealtime33 && gdb_sig <= kGdbRealtime33 + 30)
    return 33 + (gdb_sig - kGdbRealtime33);
  if (gdb_sig == kGdbRealtime64) return 64;
  return 0;
}

}  // namespace ckrr::gdb
