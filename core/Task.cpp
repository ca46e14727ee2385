#include "core/Task.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/Error.h"
#include "core/SyscallRegisters.h"
#include "core/TaskGone.h"

namespace ckrr {

namespace {
void check_ptrace(long r, const char* what, pid_t tid) {
  if (r >= 0) return;
  const int err = errno;
  std::string text = errno_text(std::string("ptrace ") + what + " of " + std::to_string(tid), err);
  if (err == ESRCH) throw TaskGone(tid, text);
  throw Error(text);
}
}  // namespace

bool task_vanished(pid_t tid) {
  errno = 0;
  return ptrace(PTRACE_PEEKUSER, tid, nullptr, nullptr) == -1 && errno == ESRCH;
}

Task::Task(pid_t tid, pid_t tgid) : tid_(tid), tgid_(tgid) {
  reopen_mem();
}

Task::~Task() {
  if (mem_fd_ >= 0) close(mem_fd_);
}

void Task::became_leader() {
  tid_ = tgid_;
  invalidate();
  reopen_mem();
}

void Task::reopen_mem() {
  if (mem_fd_ >= 0) close(mem_fd_);
  std::string p = "/proc/" + std::to_string(tid_) + "/mem";
  mem_fd_ = open(p.c_str(), O_RDWR | O_CLOEXEC);
}

const Registers& Task::regs() {
  if (!regs_valid_) {
    check_ptrace(ptrace(PTRACE_GETREGS, tid_, nullptr, &regs_), "GETREGS", tid_);
    regs_valid_ = true;
  }
  return regs_;
}

void Task::set_regs(const Registers& r) {
  regs_ = r;
  regs_valid_ = true;
  check_ptrace(ptrace(PTRACE_SETREGS, tid_, nullptr, &regs_), "SETREGS", tid_);
}

std::vector<uint8_t> Task::xstate() {
  std::vector<uint8_t> buf(16384);
  iovec iov{buf.data(), buf.size()};
  check_ptrace(ptrace(PTRACE_GETREGSET, tid_, NT_X86_XSTATE, &iov), "GETREGSET", tid_);
  buf.resize(iov.iov_len);
  return buf;
}

void Task::set_xstate(const std::vector<uint8_t>& x) {
  std::vector<uint8_t> copy = x;
  iovec iov{copy.data(), copy.size()};
  check_ptrace(ptrace(PTRACE_SETREGSET, tid_, NT_X86_XSTATE, &iov), "SETREGSET", tid_);
}

namespace {

// process_vm_readv / process_vm_writev of [addr, addr + len): the fallback for /proc/PID/mem,
// whose page lookup cannot wait for a page a userfaultfd fills (a lazily restored process,
// checkpoint/LazyPages: it fails there) while these wait for it. They do not force writes
// into read-only pages, which /proc/PID/mem does: tried second.
bool vm_rw(pid_t pid, uint64_t addr, void* buf, size_t len, bool write) {
  size_t done = 0;
  while (done < len) {
    iovec local{static_cast<char*>(buf) + done, len - done};
    iovec remote{reinterpret_cast<void*>(addr + done), len - done};
    ssize_t n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
                      : process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool Task::try_read(uint64_t addr, void* out, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(mem_fd_, static_cast<char*>(out) + done, len - done, addr + done);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return vm_rw(tid_, addr + done, static_cast<char*>(out) + done, len - done, false);
    }
    done += n;
  }
  return true;
}

void Task::read(uint64_t addr, void* out, size_t len) {
  if (!try_read(addr, out, len)) {
    char buf[64];
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(addr));
    std::string text = "cannot read " + std::to_string(len) + " bytes at " + buf + " in task " +
                       std::to_string(tid_);
    if (task_vanished(tid_)) throw TaskGone(tid_, text);
    throw Error(text);
  }
}

std::vector<uint8_t> Task::read_bytes(uint64_t addr, size_t len) {
  std::vector<uint8_t> v(len);
  if (len) read(addr, v.data(), len);
  return v;
}

std::string Task::read_string(uint64_t addr, size_t max) {
  std::string s;
  char buf[256];
  while (s.size() < max) {
    // Read up to the end of the page so an unmapped next page does not fail the read.
    size_t chunk = std::min<size_t>(sizeof buf, 4096 - ((addr + s.size()) & 4095));
    if (!try_read(addr + s.size(), buf, chunk)) break;
    size_t n = strnlen(buf, chunk);
    s.append(buf, n);
    if (n < chunk) break;
  }
  return s;
}

void Task::write(uint64_t addr, const void* data, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pwrite(mem_fd_, static_cast<const char*>(data) + done, len - done, addr + done);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      if (vm_rw(tid_, addr + done, const_cast<char*>(static_cast<const char*>(data)) + done,
                len - done, true))
        return;
      char buf[64];
      snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(addr + done));
      std::string text = "cannot write " + std::to_string(len) + " bytes at " + buf + " in task " +
                         std::to_string(tid_);
      if (task_vanished(tid_)) throw TaskGone(tid_, text);
      throw Error(text);
    }
    done += n;
  }
}

void Task::cont(int sig) {
  invalidate();
  check_ptrace(ptrace(PTRACE_CONT, tid_, nullptr, sig), "CONT", tid_);
}

void Task::resume_syscall(int sig) {
  invalidate();
  check_ptrace(ptrace(PTRACE_SYSCALL, tid_, nullptr, sig), "SYSCALL", tid_);
}

void Task::single_step(int sig) {
  invalidate();
  check_ptrace(ptrace(PTRACE_SINGLESTEP, tid_, nullptr, sig), "SINGLESTEP", tid_);
}

TaskStop Task::wait() {
  return wait_interruptible({});
}

TaskStop Task::wait_interruptible(const std::function<void()>& on_eintr) {
  int status = 0;
  for (;;) {
    pid_t r = waitpid(tid_, &status, __WALL);
    if (r == tid_) break;
    if (r < 0 && errno == EINTR) {
      if (on_eintr) on_eintr();
      continue;
    }
    throw Error(errno_text("waitpid " + std::to_string(tid_), errno));
  }
  invalidate();
  TaskStop s = TaskStop::decode(tid_, status);
  if (s.gone()) death_ = status;
  return s;
}

std::optional<TaskStop> Task::wait_unless(const std::function<bool()>& give_up) {
  int status = 0;
  for (;;) {
    if (give_up()) return std::nullopt;
    pid_t r = waitpid(tid_, &status, __WALL);
    if (r == tid_) break;
    if (r < 0 && errno == EINTR) continue;
    throw Error(errno_text("waitpid " + std::to_string(tid_), errno));
  }
  invalidate();
  TaskStop s = TaskStop::decode(tid_, status);
  if (s.gone()) death_ = status;
  return s;
}

bool Task::try_regs(Registers* out) {
  if (!regs_valid_ && ptrace(PTRACE_GETREGS, tid_, nullptr, &regs_) != 0) return false;
  regs_valid_ = true;
  *out = regs_;
  return true;
}

void Task::wait_until_exited() {
  const std::string path = "/proc/" + std::to_string(tid_) + "/stat";
  for (int i = 0; i < 200000; ++i) {
    char buf[512];
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    const char* paren = strrchr(buf, ')');  // the state follows the command name
    if (!paren || paren[1] == 0 || paren[2] == 'Z' || paren[2] == 'X') return;
    usleep(20);
  }
}

siginfo_t Task::siginfo() {
  siginfo_t si{};
  check_ptrace(ptrace(PTRACE_GETSIGINFO, tid_, nullptr, &si), "GETSIGINFO", tid_);
  return si;
}

void Task::set_siginfo(const siginfo_t& si) {
  check_ptrace(ptrace(PTRACE_SETSIGINFO, tid_, nullptr, &si), "SETSIGINFO", tid_);
}

unsigned long Task::event_msg() {
  unsigned long m = 0;
  check_ptrace(ptrace(PTRACE_GETEVENTMSG, tid_, nullptr, &m), "GETEVENTMSG", tid_);
  return m;
}

long Task::inject_syscall(uint64_t syscall_insn, bool allowed_by_seccomp, long nr,
                          std::initializer_list<uint64_t> args) {
  const Registers saved = regs();
  Registers r = saved;
  uint64_t a[6] = {};
  size_t i = 0;
  for (uint64_t v : args) a[i++] = v;
  r.rax = nr;
  r.orig_rax = -1;
  set_syscall_args(r, a);
  r.rip = syscall_insn;
  set_regs(r);
  // A signal that arrives meanwhile stops the task first: put the task back as it was and the
  // signal back in its queue (as a tgkill from ckrr: its siginfo is lost), then fail.
  auto fail = [&](const TaskStop& s) {
    std::string from;
    if (!s.gone()) {
      set_regs(saved);
      if (s.kind == TaskStop::Kind::Signal && s.sig != SIGTRAP) {
        siginfo_t si = siginfo();
        from = " (code " + std::to_string(si.si_code) + ", from pid " + std::to_string(si.si_pid) +
               ")";
        syscall(SYS_tgkill, tgid_, tid_, s.sig);
      }
    }
    std::string text = "injected " + std::to_string(nr) + ": unexpected " + s.describe() + from;
    if (s.gone()) throw TaskGone(tid_, text);
    throw Error(text);
  };
  long result;
  if (allowed_by_seccomp) {
    cont();
    TaskStop s = wait();
    if (s.kind != TaskStop::Kind::Signal || s.sig != SIGTRAP) fail(s);
    result = static_cast<long>(regs().rax);
  } else {
    cont();
    TaskStop s = wait();
    if (s.kind != TaskStop::Kind::Seccomp) fail(s);
    resume_syscall();
    s = wait();
    if (s.kind != TaskStop::Kind::SyscallStop) fail(s);
    result = static_cast<long>(regs().rax);
  }
  set_regs(saved);
  return result;
}

void kill_and_collect(const std::vector<Task*>& tasks) {
  for (Task* t : tasks) kill(t->tid(), SIGKILL);
  for (bool leaders : {false, true})
    for (Task* t : tasks) {
      if ((t->tid() == t->tgid()) != leaders) continue;
      int st;
      while (waitpid(t->tid(), &st, __WALL) < 0 && errno == EINTR) {
      }
    }
}

}  // namespace ckrr
