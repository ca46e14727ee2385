#pragma once
// gdb numbers signals its own way in the remote protocol (GDB_SIGNAL_*), which agrees with
// Linux only for some low numbers: SIGBUS is 7 on Linux but 10 for gdb, SIGUSR1 10 vs 30...
namespace ckrr::gdb {

// Linux signal number -> gdb protocol number (GDB_SIGNAL_UNKNOWN for one gdb has no name for).
int host_to_gdb_signal(int sig);
// gdb protocol number -> Linux signal number, or 0 when Linux has no such signal.
int gdb_to_host_signal(int gdb_sig);

constexpr int kGdbSignalUnknown = 143;

}  // namespace ckrr::gdb
