#pragma once
// One traced thread: ptrace control, registers, and access to its memory.
// Memory goes through /proc/PID/mem, which also writes read-only pages (breakpoints, auxv).
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/TaskStop.h"

namespace ckrr {

using Registers = user_regs_struct;

class Task {
 public:
  Task(pid_t tid, pid_t tgid);
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  pid_t tid() const { return tid_; }
  pid_t tgid() const { return tgid_; }

  // Registers, cached between a stop and the next resume.
  const Registers& regs();
  // The same, false instead of throwing when the thread cannot be read (gone, running).
  bool try_regs(Registers* out);
  void set_regs(const Registers& r);
  // XSAVE area (PTRACE_GETREGSET NT_X86_XSTATE).
  std::vector<uint8_t> xstate();
  void set_xstate(const std::vector<uint8_t>& x);

  // Memory. read_* throw Error on failure; try_read returns false instead.
  bool try_read(uint64_t addr, void* out, size_t len);
  void read(uint64_t addr, void* out, size_t len);
  std::vector<uint8_t> read_bytes(uint64_t addr, size_t len);
  // Reads a NUL-terminated string, at most max bytes.
  std::string read_string(uint64_t addr, size_t max = 4096);
  template <typename T>
  T read_val(uint64_t addr) {
    T v;
    read(addr, &v, sizeof v);
    return v;
  }
  void write(uint64_t addr, const void* data, size_t len);

  // Resuming. sig is the signal to deliver (0 for none).
  void cont(int sig = 0);
  void resume_syscall(int sig = 0);  // PTRACE_SYSCALL
  void single_step(int sig = 0);
  // Waits for this task's next stop (blocking, __WALL).
  TaskStop wait();
  // The same, but when a signal to this thread interrupts the wait and give_up() is true,
  // returns nullopt with the task still running (the debugger's Ctrl-C).
  std::optional<TaskStop> wait_unless(const std::function<bool()>& give_up);
  // The same; when a signal interrupts the wait, calls on_eintr (which may, say, signal the
  // task) and waits again.
  TaskStop wait_interruptible(const std::function<void()>& on_eintr);

  // The wait status of the task's death, when one of the waits above consumed it where another
  // stop was expected (a SIGKILL from outside); taken once, for the main loop to handle.
  std::optional<int> take_death() {
    std::optional<int> d = death_;
    death_.reset();
    return d;
  }

  siginfo_t siginfo();
  void set_siginfo(const siginfo_t& si);
  unsigned long event_msg();

  // Runs one syscall in the task from its current stop and returns its result. The task must be
  // stopped outside a syscall (or at a syscall-exit stop). syscall_insn is the address of a
  // `syscall` instruction; if seccomp allows syscalls from there it is followed by int3.
  // Registers are restored afterwards.
  long inject_syscall(uint64_t syscall_insn, bool allowed_by_seccomp, long nr,
                      std::initializer_list<uint64_t> args);

  // After it was let go into exit(): waits until the kernel has finished with it (a leader
  // whose other threads live is reported by waitpid only later; its exit is done when it is a
  // zombie). Non-leaders are collected with wait() instead.
  void wait_until_exited();

  // Reopen /proc/PID/mem (needed after exec: the old file refers to the old mm).
  void reopen_mem();
  // A thread other than the leader exec'd: the kernel gave it the process's pid as its tid.
  void became_leader();

 private:
  std::optional<int> death_;
  void invalidate() { regs_valid_ = false; }
  pid_t tid_, tgid_;
  int mem_fd_ = -1;
  Registers regs_{};
  bool regs_valid_ = false;
  bool regs_dirty_ = false;
};

// SIGKILLs these tasks and collects them, other threads before leaders (a leader is reported
// only once its threads are collected).
void kill_and_collect(const std::vector<Task*>& tasks);

}  // namespace ckrr
