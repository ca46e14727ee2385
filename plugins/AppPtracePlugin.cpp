#include "plugins/AppPtracePlugin.h"

#include <elf.h>
#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace ckrr {

namespace {
constexpr int kStoppedBySigstop = (SIGSTOP << 8) | 0x7f;
constexpr int kInterrupted = (PTRACE_EVENT_STOP << 16) | (SIGTRAP << 8) | 0x7f;

// Writes what the tracer asked for into its memory, and records it as the kernel's write.
void give(SyscallContext& ctx, uint64_t addr, const void* data, size_t len) {
  ctx.task.write(addr, data, len);
  ctx.capture(addr, len);
}

std::string request_name(long req) {
  switch (req) {
    case PTRACE_POKETEXT:
      return "PTRACE_POKETEXT";
    case PTRACE_POKEDATA:
      return "PTRACE_POKEDATA";
    case PTRACE_POKEUSER:
      return "PTRACE_POKEUSER";
    case PTRACE_SINGLESTEP:
      return "PTRACE_SINGLESTEP";
    case PTRACE_SYSCALL:
      return "PTRACE_SYSCALL";
    case PTRACE_SETREGS:
      return "PTRACE_SETREGS";
    case PTRACE_SETFPREGS:
      return "PTRACE_SETFPREGS";
    case PTRACE_SETREGSET:
      return "PTRACE_SETREGSET";
    case PTRACE_SETSIGINFO:
      return "PTRACE_SETSIGINFO";
    case PTRACE_KILL:
      return "PTRACE_KILL";
  }
  char buf[32];
  snprintf(buf, sizeof buf, "0x%lx", req);
  return buf;
}

void answer(SyscallContext& ctx, int64_t result) {
  ctx.skip = true;
  ctx.forced_result = result;
}
}  // namespace

int AppPtracePlugin::pending_stop(ProcessState& tracer, pid_t pid) {
  for (auto& [tid, status] : tracer.app_tracees)
    if ((pid == -1 || pid == tid) && status) return status;
  return 0;
}

void AppPtracePlugin::record_entry(SyscallContext& ctx) {
  const uint64_t* a = ctx.args;
  const long req = static_cast<long>(a[0]);
  const pid_t pid = static_cast<pid_t>(a[1]);
  if (req == PTRACE_TRACEME) return;  // the kernel's answer: EPERM, ckrr traces it already
  ThreadView view;
  if (!ctx.session.recorded_thread(pid, view)) return;  // the kernel answers (ESRCH, EPERM)
  Task* target = view.task;
  const bool attached = ctx.proc.app_tracees.count(pid);
  if (req == PTRACE_ATTACH || req == PTRACE_SEIZE) return answer(ctx, attached ? -EPERM : 0);
  if (!attached) return answer(ctx, -ESRCH);
  // Natively a tracee that is not stopped answers nothing but ESRCH; so does one whose
  // registers ckrr cannot tell now.
  const bool needs_regs = req == PTRACE_GETREGS || req == PTRACE_GETFPREGS ||
                          req == PTRACE_GETREGSET || req == PTRACE_PEEKUSER || req == 0x420e;
  if (needs_regs && !view.has_regs) return answer(ctx, -ESRCH);
  switch (req) {
    case PTRACE_PEEKTEXT:
    case PTRACE_PEEKDATA: {
      uint64_t word = 0;
      if (!target->try_read(a[2], &word, sizeof word)) return answer(ctx, -EIO);
      give(ctx, a[3], &word, sizeof word);
      return answer(ctx, 0);
    }
    case PTRACE_PEEKUSER: {
      uint64_t word = 0;
      if (a[2] + 8 <= sizeof(user_regs_struct)) {
        Registers r = view.regs;
        std::memcpy(&word, reinterpret_cast<const uint8_t*>(&r) + a[2], 8);
      } else if (a[2] >= sizeof(struct user) || a[2] % 8) {
        return answer(ctx, -EIO);
      }
      give(ctx, a[3], &word, sizeof word);
      return answer(ctx, 0);
    }
    case PTRACE_POKETEXT:
    case PTRACE_POKEDATA:
      // A write into the tracer's own address space replays as the kernel's write; one into
      // another process would not be reproduced: refused.
      if (target->tgid() != ctx.task.tgid()) {
        ctx.session.note_not_emulated("ptrace request " + request_name(req) +
                                      " into another process");
        return answer(ctx, -EIO);
      }
      give(ctx, a[2], &a[3], 8);
      return answer(ctx, 0);
    case PTRACE_GETREGS: {
      Registers r = view.regs;
      give(ctx, a[3], &r, sizeof(user_regs_struct));
      return answer(ctx, 0);
    }
    case PTRACE_GETFPREGS: {
      std::vector<uint8_t> xs = view.xstate;
      xs.resize(sizeof(user_fpregs_struct));
      give(ctx, a[3], xs.data(), xs.size());
      return answer(ctx, 0);
    }
    case PTRACE_GETREGSET: {
      std::vector<uint8_t> data;
      if (a[2] == NT_PRSTATUS) {
        Registers r = view.regs;
        data.assign(reinterpret_cast<uint8_t*>(&r),
                    reinterpret_cast<uint8_t*>(&r) + sizeof(user_regs_struct));
      } else if (a[2] == NT_PRFPREG || a[2] == NT_X86_XSTATE) {
        data = view.xstate;
        if (a[2] == NT_PRFPREG) data.resize(sizeof(user_fpregs_struct));
      } else {
        return answer(ctx, -EINVAL);
      }
      iovec iov{};
      if (!ctx.task.try_read(a[3], &iov, sizeof iov)) return answer(ctx, -EFAULT);
      size_t n = std::min(iov.iov_len, data.size());
      give(ctx, reinterpret_cast<uint64_t>(iov.iov_base), data.data(), n);
      iov.iov_len = n;
      give(ctx, a[3], &iov, sizeof iov);
      return answer(ctx, 0);
    }
    case PTRACE_GETEVENTMSG: {
      unsigned long msg = 0;
      give(ctx, a[3], &msg, sizeof msg);
      return answer(ctx, 0);
    }
    case PTRACE_GETSIGINFO: {
      siginfo_t si{};
      si.si_signo = SIGSTOP;
      si.si_code = SI_USER;
      give(ctx, a[3], &si, sizeof si);
      return answer(ctx, 0);
    }
    case 0x420e: {  // PTRACE_GET_SYSCALL_INFO: stopped, not in a syscall (op NONE)
      struct {
        uint8_t op;
        uint8_t pad[3];
        uint32_t arch;
        uint64_t ip, sp;
      } info{};
      info.arch = AUDIT_ARCH_X86_64;
      Registers r = view.regs;
      info.ip = r.rip;
      info.sp = r.rsp;
      size_t n = std::min<uint64_t>(a[2], sizeof info);
      give(ctx, a[3], &info, n);
      return answer(ctx, sizeof info);
    }
    case PTRACE_CONT:
    case PTRACE_DETACH:
    case PTRACE_SETOPTIONS:
    case PTRACE_INTERRUPT:
    case PTRACE_LISTEN:
      return answer(ctx, 0);
  }
  // Stepping, syscall stops, and writing registers or another process's memory would need
  // ckrr to make the target do it, in replay too: not emulated.
  ctx.session.note_not_emulated("ptrace request " + request_name(req));
  return answer(ctx, -EIO);
}

void AppPtracePlugin::record_exit(SyscallContext& ctx) {
  note(ctx.proc, static_cast<long>(ctx.args[0]), static_cast<pid_t>(ctx.args[1]), ctx.result);
}

void AppPtracePlugin::replay_exit(SyscallContext& ctx) {
  note(ctx.proc, static_cast<long>(ctx.args[0]), static_cast<pid_t>(ctx.args[1]), ctx.event.result);
}

void AppPtracePlugin::note(ProcessState& proc, long request, pid_t target, int64_t result) {
  if (result < 0) return;
  switch (request) {
    case PTRACE_ATTACH:
      proc.app_tracees[target] = kStoppedBySigstop;
      break;
    case PTRACE_SEIZE:
      proc.app_tracees[target] = 0;
      break;
    case PTRACE_INTERRUPT:
      if (proc.app_tracees.count(target)) proc.app_tracees[target] = kInterrupted;
      break;
    case PTRACE_CONT:
      if (proc.app_tracees.count(target)) proc.app_tracees[target] = 0;
      break;
    case PTRACE_DETACH:
      proc.app_tracees.erase(target);
      break;
  }
}

}  // namespace ckrr
