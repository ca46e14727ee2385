#include "plugins/KernelPlugin.h"

#include <errno.h>
#include <sys/sem.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>

#include "core/SyscallNames.h"
#include "plugins/ConservativeCapture.h"
#include "plugins/FilesPlugin.h"
#include "plugins/SyscallTable.h"

namespace ckrr {

namespace {
constexpr long kIpc64 = 0x100;  // IPC_64, which some libcs add to SysV ctl commands

// A number that could be a syscall of a newer kernel (not negative, not absurd): its memory
// effects are unknown. Others the kernel rejects with ENOSYS without touching memory.
bool plausible_syscall(long nr) {
  return nr >= 0 && nr < 4096;
}

bool bpf_returns_fd(uint64_t cmd) {
  switch (cmd) {
    case 0:   // BPF_MAP_CREATE
    case 5:   // BPF_PROG_LOAD
    case 7:   // BPF_OBJ_GET
    case 13:  // BPF_PROG_GET_FD_BY_ID
    case 14:  // BPF_MAP_GET_FD_BY_ID
    case 18:  // BPF_BTF_LOAD
    case 19:  // BPF_BTF_GET_FD_BY_ID
    case 21:  // BPF_RAW_TRACEPOINT_OPEN
    case 28:  // BPF_LINK_CREATE
    case 30:  // BPF_LINK_GET_FD_BY_ID
    case 33:  // BPF_ITER_CREATE
      return true;
  }
  return false;
}
}  // namespace

void KernelPlugin::record_entry(SyscallContext& ctx) {
  const SyscallSpec* spec = syscall_spec(ctx.nr);
  if (spec && spec->action == SyscallAction::Refuse) {
    ctx.skip = true;
    ctx.forced_result = -ENOSYS;
    return;
  }
  if (!spec) {
    if (plausible_syscall(ctx.nr))
      ConservativeCapture::before(ctx, syscall_display_name(ctx.nr) + " (not in ckrr's table)");
    return;
  }
  if (std::strcmp(spec->writes, "?") == 0) {
    ConservativeCapture::before(ctx, spec->name);
  } else if (ctx.nr == SYS_bpf) {
    ConservativeCapture::before(ctx, "bpf command " + std::to_string(ctx.args[0]));
  }
}

void KernelPlugin::record_exit(SyscallContext& ctx) {
  if (ctx.failed()) return;
  const uint64_t* a = ctx.args;
  switch (ctx.nr) {
    case SYS_semctl:
      switch (static_cast<long>(a[2]) & ~kIpc64) {
        case IPC_STAT:
        case SEM_STAT:
        case SEM_STAT_ANY:
          ctx.capture(a[3], sizeof(struct semid_ds));
          break;
        case IPC_INFO:
        case SEM_INFO:
          ctx.capture(a[3], sizeof(struct seminfo));
          break;
        case GETALL: {
          // The set's size: SysV ids are global, so ckrr can ask the kernel itself.
          struct semid_ds ds {};
          unsigned long n = semctl(static_cast<int>(a[0]), 0, IPC_STAT, &ds) == 0
                                ? ds.sem_nsems
                                : ConservativeCapture::kWindow / 2;
          ctx.capture(a[3], n * sizeof(unsigned short));
          break;
        }
      }
      break;
    case SYS_msgctl:
      switch (static_cast<long>(a[1]) & ~kIpc64) {
        case IPC_STAT:
        case 11:                   // MSG_STAT
        case 13:                   // MSG_STAT_ANY
          ctx.capture(a[2], 120);  // struct msqid64_ds
          break;
        case IPC_INFO:
        case 12:                  // MSG_INFO
          ctx.capture(a[2], 32);  // struct msginfo
          break;
      }
      break;
    case SYS_keyctl:
      switch (a[0]) {
        case 6:   // KEYCTL_DESCRIBE
        case 11:  // KEYCTL_READ
        case 17:  // KEYCTL_GET_SECURITY
        case 23:  // KEYCTL_DH_COMPUTE
          if (a[2]) ctx.capture(a[2], std::min<uint64_t>(ctx.result, a[3]));
          break;
      }
      break;
    case SYS_process_vm_readv:
      capture_iovec(ctx, a[1], a[2], ctx.result);
      break;
    case SYS_process_vm_writev:
      // Into the caller's own process: its memory changed like after a read. (Into another
      // recorded process it is not replayed: that process diverges, and it is reported.)
      if (static_cast<pid_t>(a[0]) == ctx.proc.recorded_pid)
        capture_iovec(ctx, a[3], a[4], ctx.result);
      break;
    case SYS_vmsplice:  // from a pipe into the app's buffers, or the other way (then unchanged)
      capture_iovec(ctx, a[1], a[2], ctx.result);
      break;
    case SYS_seccomp:
      if (a[0] == 3) ctx.capture(a[2], 6);  // SECCOMP_GET_NOTIF_SIZES
      break;
  }
  note_fd(ctx, ctx.result);
}

void KernelPlugin::replay_exit(SyscallContext& ctx) {
  if (ctx.event.result >= 0) note_fd(ctx, ctx.event.result);
}

void KernelPlugin::note_fd(SyscallContext& ctx, int64_t result) {
  const uint64_t* a = ctx.args;
  const char* label = nullptr;
  if (ctx.nr == SYS_bpf && bpf_returns_fd(a[0])) label = "bpf";
  if (ctx.nr == SYS_seccomp && a[0] == 1 && (a[1] & (1u << 3))) label = "seccomp-notify";
  if (ctx.nr == SYS_landlock_create_ruleset && a[2] == 0) label = "landlock";
  if (!label) return;
  FdEntry e;
  e.kind = FdEntry::Kind::Other;
  e.path = label;
  e.cloexec = true;  // the kernel sets close-on-exec on all three
  ctx.proc.fds[static_cast<int>(result)] = std::move(e);
}

}  // namespace ckrr
