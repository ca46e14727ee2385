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

#include "core/TaskGone.h"
#include "plugins/AppTraces.h"
#include "plugins/TraceeEffects.h"

namespace ckrr {

namespace {
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

// SETFPREGS, SETREGSET of NT_PRFPREG or NT_X86_XSTATE (gdb restores them after calling one of
// the program's functions): the first bytes of the XSAVE area, where replay holds the tracee
// too, as for registers.
void set_xstate(SyscallContext& ctx, const AppTraces::Tracee& t, pid_t tid, const ThreadView& view,
                const std::vector<uint8_t>& prefix, long req) {
  if (prefix.size() > view.xstate.size()) return answer(ctx, -EINVAL);
  if (std::equal(prefix.begin(), prefix.end(), view.xstate.begin())) return answer(ctx, 0);
  if (t.held != AppTraces::Tracee::Held::AfterEvent || t.result_writable) {
    ctx.session.note_not_emulated("ptrace request " + request_name(req) +
                                  " changing floating-point registers at a syscall's stop");
    return answer(ctx, -EIO);
  }
  std::vector<uint8_t> want = view.xstate;
  std::copy(prefix.begin(), prefix.end(), want.begin());
  view.task->set_xstate(want);
  add_tracee_effect(ctx.event, {TraceeEffect::Kind::XState, tid, 0, want});
  answer(ctx, 0);
}
}  // namespace

bool write_tracee_memory(SyscallContext& ctx, const AppTraces::Tracee& t, pid_t tid, Task& target,
                         uint64_t addr, const void* data, size_t len, const std::string& how) {
  if (t.held != AppTraces::Tracee::Held::AfterEvent || t.result_writable) {
    ctx.session.note_not_emulated(how + " into a tracee stopped at a syscall's entry or exit");
    return false;
  }
  target.write(addr, data, len);
  TraceeEffect e{TraceeEffect::Kind::Memory, tid, addr, {}};
  e.bytes.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + len);
  add_tracee_effect(ctx.event, e);
  return true;
}

namespace {

// PTRACE_GET_SYSCALL_INFO as the kernel lays it out: op 1 at a syscall-entry stop (number and
// arguments), 2 at an exit stop (result), 0 elsewhere. It returns the size of the whole answer
// and writes as much of it as the tracer's buffer holds.
void syscall_info(SyscallContext& ctx, const AppTraces::Tracee& t, const Registers& now) {
  struct {
    uint8_t op;
    uint8_t pad[3];
    uint32_t arch;
    uint64_t ip, sp;
    union {
      struct {
        uint64_t nr;
        uint64_t args[6];
      } entry;
      struct {
        int64_t rval;
        uint8_t is_error;
      } exit;
    };
  } info{};
  const bool entry = t.stop.kind == AppTraces::StopKind::SyscallEntry;
  const bool exit = t.stop.kind == AppTraces::StopKind::SyscallExit;
  const Registers& r = entry || exit ? t.regs : now;
  info.arch = AUDIT_ARCH_X86_64;
  info.ip = r.rip;
  info.sp = r.rsp;
  uint64_t size = 24;
  if (entry) {
    info.op = 1;
    info.entry.nr = r.orig_rax;
    const uint64_t args[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
    std::memcpy(info.entry.args, args, sizeof args);
    size = 80;
  } else if (exit) {
    info.op = 2;
    info.exit.rval = static_cast<int64_t>(r.rax);
    info.exit.is_error = info.exit.rval < 0 && info.exit.rval >= -4095;
    size = 33;
  }
  give(ctx, ctx.args[3], &info, std::min<uint64_t>(ctx.args[2], size));
  answer(ctx, static_cast<int64_t>(size));
}

// SETREGS, POKEUSER: a write that changes nothing succeeds; one that changes only rax at a
// syscall's exit stop before its event sets the call's result (the event records it, replay
// takes it from there); at a stop where replay holds the tracee too (after one of its events,
// or at a fault or single step recorded as one), the registers are set and replay sets them
// again (a TraceeEffect); elsewhere (at a syscall's entry) not emulated.
void set_registers(SyscallContext& ctx, const AppTraces::Tracee& t, pid_t tid,
                   const ThreadView& view, const Registers& want, long req) {
  const Registers& now = view.regs;
  if (std::memcmp(&now, &want, sizeof want) == 0) return answer(ctx, 0);
  Registers result_only = now;
  result_only.rax = want.rax;
  if (t.result_writable && std::memcmp(&result_only, &want, sizeof want) == 0) {
    view.task->set_regs(want);
    return answer(ctx, 0);
  }
  if (t.held == AppTraces::Tracee::Held::AfterEvent && !t.result_writable) {
    view.task->set_regs(want);
    TraceeEffect e{TraceeEffect::Kind::Registers, tid, 0, {}};
    e.bytes.assign(reinterpret_cast<const uint8_t*>(&want),
                   reinterpret_cast<const uint8_t*>(&want) + sizeof(user_regs_struct));
    add_tracee_effect(ctx.event, e);
    return answer(ctx, 0);
  }
  ctx.session.note_not_emulated("ptrace request " + request_name(req) +
                                " changing registers at a syscall's entry stop");
  answer(ctx, -EIO);
}
}  // namespace

namespace {
void request(SyscallContext& ctx) {
  const uint64_t* a = ctx.args;
  const long req = static_cast<long>(a[0]);
  const pid_t pid = static_cast<pid_t>(a[1]);
  AppTraces* traces = ctx.session.app_traces();
  if (req == PTRACE_TRACEME) {
    // Its parent traces it from now on (gdb's `run`): its signals become stops for that
    // parent, the exec that follows a SIGTRAP stop. EPERM when traced already, or when the
    // parent is not recorded (the kernel would say so: ckrr traces it).
    ThreadView self;
    const pid_t tid = ctx.event.tid;
    if (!traces || !ctx.session.recorded_thread(tid, self) || traces->tracer_of(tid)) return;
    ThreadView parent;
    if (!self.parent || !ctx.session.recorded_thread(self.parent, parent)) return;
    traces->traceme(self.parent, tid, ctx.proc.recorded_pid);
    return answer(ctx, 0);
  }
  ThreadView view;
  if (!traces || !ctx.session.recorded_thread(pid, view)) return;  // the kernel answers
  Task* target = view.task;
  const pid_t tracer = ctx.proc.recorded_pid;
  AppTraces::Tracee* tracee = traces->find(pid);
  const bool attached = tracee && tracee->tracer == tracer;
  if (req == PTRACE_ATTACH || req == PTRACE_SEIZE) {
    // Not itself, a thread of its own process, or one traced already (EPERM, as natively).
    if (tracee || target->tgid() == ctx.task.tgid()) return answer(ctx, -EPERM);
    traces->attach(tracer, pid, target->tgid(), req == PTRACE_SEIZE, a[3]);
    return answer(ctx, 0);
  }
  if (!attached) return answer(ctx, -ESRCH);
  if (req == PTRACE_INTERRUPT) {
    traces->interrupt(pid);
    return answer(ctx, 0);
  }
  if (req == PTRACE_DETACH) {
    traces->detach(pid);
    return answer(ctx, 0);
  }
  // The other requests need it stopped (natively ESRCH while it runs).
  if (tracee->resume != AppTraces::Resume::Stopped) return answer(ctx, -ESRCH);
  // Natively a tracee that is not stopped answers nothing but ESRCH; so does one whose
  // registers ckrr cannot tell now.
  const bool needs_regs = req == PTRACE_GETREGS || req == PTRACE_GETFPREGS ||
                          req == PTRACE_GETREGSET || req == PTRACE_PEEKUSER || req == 0x420e ||
                          req == PTRACE_SETREGS || req == PTRACE_SETFPREGS ||
                          req == PTRACE_SETREGSET || req == PTRACE_POKEUSER;
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
      // another process is made again by replay where it holds the tracee too.
      if (target->tgid() != ctx.task.tgid()) {
        uint64_t old = 0;
        if (!target->try_read(a[2], &old, sizeof old)) return answer(ctx, -EIO);
        if (!write_tracee_memory(ctx, *tracee, pid, *target, a[2], &a[3], 8, request_name(req)))
          return answer(ctx, -EIO);
        return answer(ctx, 0);
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
      unsigned long msg = tracee->stop.msg;
      give(ctx, a[3], &msg, sizeof msg);
      return answer(ctx, 0);
    }
    case PTRACE_GETSIGINFO: {
      // The siginfo of the current stop: a syscall or event stop's SIGTRAP carries its status
      // as si_code; a group stop has none (EINVAL); a signal-delivery stop has the signal's.
      if (tracee->stop.kind == AppTraces::StopKind::Group) return answer(ctx, -EINVAL);
      if (tracee->signal_delivery || tracee->siginfo_set) {
        give(ctx, a[3], &tracee->siginfo, sizeof tracee->siginfo);
        return answer(ctx, 0);
      }
      siginfo_t si{};
      si.si_signo = (tracee->stop.status >> 8) & 0x7f;
      si.si_code = tracee->stop.kind == AppTraces::StopKind::Signal
                       ? SI_USER
                       : static_cast<int>((tracee->stop.status >> 8) & 0xffff);
      if (tracee->stop.kind == AppTraces::StopKind::Step) si.si_code = TRAP_TRACE;
      if (si.si_code != SI_USER && si.si_code != TRAP_TRACE) si.si_pid = pid;
      give(ctx, a[3], &si, sizeof si);
      return answer(ctx, 0);
    }
    case 0x420e:  // PTRACE_GET_SYSCALL_INFO
      return syscall_info(ctx, *tracee, view.regs);
    case PTRACE_SETOPTIONS:
      tracee->options = a[3];
      return answer(ctx, 0);
    case PTRACE_SETREGS: {
      Registers want{};
      if (!ctx.task.try_read(a[3], &want, sizeof want)) return answer(ctx, -EFAULT);
      return set_registers(ctx, *tracee, pid, view, want, req);
    }
    case PTRACE_SETREGSET: {
      iovec iov{};
      if (!ctx.task.try_read(a[3], &iov, sizeof iov)) return answer(ctx, -EFAULT);
      if (a[2] == NT_PRSTATUS && iov.iov_len >= sizeof(user_regs_struct)) {
        Registers want{};
        if (!ctx.task.try_read(reinterpret_cast<uint64_t>(iov.iov_base), &want, sizeof want))
          return answer(ctx, -EFAULT);
        return set_registers(ctx, *tracee, pid, view, want, req);
      }
      if (a[2] == NT_PRFPREG || a[2] == NT_X86_XSTATE) {
        const size_t max = a[2] == NT_PRFPREG ? sizeof(user_fpregs_struct) : view.xstate.size();
        std::vector<uint8_t> want(std::min(iov.iov_len, max));
        if (!ctx.task.try_read(reinterpret_cast<uint64_t>(iov.iov_base), want.data(), want.size()))
          return answer(ctx, -EFAULT);
        return set_xstate(ctx, *tracee, pid, view, want, req);
      }
      return answer(ctx, -EINVAL);
    }
    case PTRACE_SETFPREGS: {
      std::vector<uint8_t> want(sizeof(user_fpregs_struct));
      if (!ctx.task.try_read(a[3], want.data(), want.size())) return answer(ctx, -EFAULT);
      return set_xstate(ctx, *tracee, pid, view, want, req);
    }
    case PTRACE_SETSIGINFO: {
      // What GETSIGINFO reports from now on (gdb puts back the one it saved around a call of a
      // function of the program); a signal the tracer then delivers keeps the kernel's.
      siginfo_t si{};
      if (!ctx.task.try_read(a[3], &si, sizeof si)) return answer(ctx, -EFAULT);
      tracee->siginfo = si;
      tracee->siginfo_set = true;
      return answer(ctx, 0);
    }
    case PTRACE_POKEUSER: {
      if (a[2] % 8 == 0 && a[2] + 8 <= sizeof(user_regs_struct)) {
        Registers want = view.regs;
        std::memcpy(reinterpret_cast<uint8_t*>(&want) + a[2], &a[3], 8);
        return set_registers(ctx, *tracee, pid, view, want, req);
      }
      break;  // debug registers, or out of range: not emulated
    }
    case PTRACE_KILL:  // a SIGKILL, sent by ckrr (its death comes like any other)
      traces->kill(pid);
      return answer(ctx, 0);
    case PTRACE_SINGLESTEP:
    case PTRACE_CONT:
    case PTRACE_SYSCALL:
    case PTRACE_LISTEN: {
      // A signal given at a signal-delivery stop is delivered (none: suppressed); elsewhere
      // the kernel would deliver it too, which ckrr does not do.
      const int sig = static_cast<int>(a[3]);
      if (sig < 0 || sig >= 65) return answer(ctx, -EIO);
      if (sig && !tracee->signal_delivery && sig != SIGSTOP)
        ctx.session.note_not_emulated(
            "ptrace signal injection at a stop other than the"
            " signal's own");
      if (tracee->signal_delivery && tracee->fault && sig)  // replay delivers it too
        add_tracee_effect(ctx.event,
                          {TraceeEffect::Kind::Signal, pid, static_cast<uint64_t>(sig), {}});
      traces->resume(pid,
                     req == PTRACE_SYSCALL      ? AppTraces::Resume::Syscall
                     : req == PTRACE_SINGLESTEP ? AppTraces::Resume::Step
                                                : AppTraces::Resume::Cont,
                     tracee->signal_delivery ? sig : 0);
      return answer(ctx, 0);
    }
  }
  // Stepping, syscall stops, and writing registers or another process's memory would need
  // ckrr to make the target do it, in replay too: not emulated.
  ctx.session.note_not_emulated("ptrace request " + request_name(req));
  return answer(ctx, -EIO);
}

}  // namespace

void AppPtracePlugin::record_entry(SyscallContext& ctx) {
  try {
    request(ctx);
  } catch (const TaskGone& g) {
    // The target died under our hands (a debugger kills its tracee, then asks): ESRCH, as
    // natively; its death comes through the session's waitpid.
    if (g.tid() == ctx.task.tid()) throw;
    answer(ctx, -ESRCH);
  }
}

}  // namespace ckrr
