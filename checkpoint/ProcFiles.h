#pragma once
// The parts of a checkpoint read from /proc/PID: mm bounds (stat), auxv, cwd, exe, comm, fds.
#include <sys/types.h>

#include "checkpoint/CheckpointManifest.h"

namespace ckrr {

// Fills m.mm (except brk, which only the process can tell: brk(0)), m.auxv, m.cwd, m.exe,
// m.comm and m.fds. Throws Error when /proc/PID/stat cannot be read.
void read_proc_files(pid_t pid, CheckpointManifest& m);

}  // namespace ckrr
