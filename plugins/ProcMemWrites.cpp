#include "plugins/ProcMemWrites.h"

#include <errno.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "core/TaskGone.h"
#include "plugins/AppPtracePlugin.h"
#include "plugins/AppTraces.h"

namespace ckrr {

namespace {
void answer(SyscallContext& ctx, int64_t result) {
  ctx.skip = true;
  ctx.forced_result = result;
}

// The thread whose memory the file is: its tid (the pid for /proc/PID/mem), 0 for none.
pid_t mem_file_thread(const SyscallContext& ctx, bool* own) {
  const FdEntry* fd = ctx.proc.fd(static_cast<int>(ctx.args[0]));
  if (!fd) return 0;
  int pid = 0, tid = 0, n = 0;
  const char* path = fd->path.c_str();
  *own = false;
  if (fd->path == "/proc/self/mem" || fd->path == "/proc/thread-self/mem") {
    *own = true;
    return ctx.proc.recorded_pid;
  }
  if (sscanf(path, "/proc/%d/task/%d/mem%n", &pid, &tid, &n) == 2 && path[n] == 0) {
  } else if (sscanf(path, "/proc/%d/mem%n", &pid, &n) == 1 && path[n] == 0) {
    tid = pid;
  } else {
    return 0;
  }
  *own = pid == ctx.proc.recorded_pid;
  return tid;
}
}  // namespace

namespace {
bool write_to_tracee(SyscallContext& ctx) {
  AppTraces* traces = ctx.session.app_traces();
  bool own = false;
  const pid_t tid = mem_file_thread(ctx, &own);
  if (!traces || traces->empty() || !tid || own) return false;
  AppTraces::Tracee* t = traces->find(tid);
  ThreadView view;
  if (!t || t->tracer != ctx.proc.recorded_pid || !ctx.session.recorded_thread(tid, view))
    return false;  // the kernel's answer
  if (t->resume != AppTraces::Resume::Stopped) {
    ctx.session.note_not_emulated("write to /proc/PID/mem of a running tracee");
    answer(ctx, -EIO);
    return true;
  }
  const uint64_t len = std::min<uint64_t>(ctx.args[2], 1 << 20);
  std::vector<uint8_t> bytes(len);
  if (len && !ctx.task.try_read(ctx.args[1], bytes.data(), len)) {
    answer(ctx, -EFAULT);
    return true;
  }
  uint64_t probe = 0;
  if (len && !view.task->try_read(ctx.args[3], &probe, 1)) {
    answer(ctx, -EIO);
    return true;
  }
  const bool ok = write_tracee_memory(ctx, *t, tid, *view.task, ctx.args[3], bytes.data(), len,
                                      "pwrite64 to /proc/PID/mem");
  answer(ctx, ok ? static_cast<int64_t>(len) : -EIO);
  return true;
}

}  // namespace

bool tracee_mem_write(SyscallContext& ctx) {
  try {
    return write_to_tracee(ctx);
  } catch (const TaskGone& g) {
    if (g.tid() == ctx.task.tid()) throw;
    answer(ctx, -EIO);  // the tracee died meanwhile
    return true;
  }
}

void capture_own_mem_write(SyscallContext& ctx) {
  bool own = false;
  if (ctx.failed() || ctx.result <= 0 || !mem_file_thread(ctx, &own) || !own) return;
  ctx.capture(ctx.args[3], static_cast<uint64_t>(ctx.result));  // replay writes it back
}

}  // namespace ckrr
