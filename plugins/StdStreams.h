#pragma once
// Whether a file the app opened by name (/dev/stdout, /proc/self/fd/1, the path its stdout was
// redirected to) is one of the streams ckrr itself was given as stdout or stderr: replay echoes
// what is written to it, as for fd 1 and 2. Only the recorder asks (replay reads the answer from
// the open's event).
#include <sys/types.h>

namespace ckrr {

// 1 or 2 when fd N of thread tid refers to the same object as ckrr's own stdout or stderr
// (stdout first when both are the same); -1 otherwise. Character devices other than terminals
// (/dev/null) do not count: writes there show nothing.
int std_stream_of_fd(pid_t tid, int fd);

}  // namespace ckrr
