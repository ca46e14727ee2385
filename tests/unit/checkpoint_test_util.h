#pragma once
// Driving a test program under ptrace for the checkpoint tests and benchmark: the program
// runs freely (every syscall allowed) except getppid(), its checkpoint marker, which stops at
// the supervisor and is emulated there, leaving the task in the "after event N" state the
// record and replay sessions leave it in (seccomp stop, orig_rax = -1, rax = result).
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/RemoteSyscall.h"
#include "core/MemoryMap.h"
#include "core/ProcessLauncher.h"
#include "core/SeccompFilter.h"
#include "core/Task.h"

namespace ckrr::test {

constexpr long kMarkerResult = 4242;

inline std::vector<sock_filter> marker_filter() {
  std::vector<int> allowed;
  for (int nr = 0; nr < 460; ++nr)
    if (nr != SYS_getppid && nr != SYS_execve) allowed.push_back(nr);
  return build_seccomp_filter(allowed);
}

// Runs fn with this process's fd 1 pointing at out_fd (children forked meanwhile inherit it).
template <typename F>
auto with_stdout(int out_fd, F fn) {
  int saved = dup(1);
  dup2(out_fd, 1);
  struct Restore {
    int saved;
    ~Restore() {
      dup2(saved, 1);
      close(saved);
    }
  } r{saved};
  return fn();
}

// Starts prog traced, through its exec, with ckrr's scratch page mapped (like the sessions).
// The scratch page is mapped with a `syscall` instruction found in the vDSO.
inline std::unique_ptr<Task> launch_program(const std::string& prog,
                                            const std::vector<std::string>& args, int out_fd) {
  LaunchOptions lo;
  lo.path = prog;
  lo.argv = {prog};
  lo.argv.insert(lo.argv.end(), args.begin(), args.end());
  lo.envp = {"PATH=/usr/bin:/bin", "LC_ALL=C"};
  lo.filter = marker_filter();
  pid_t pid = with_stdout(out_fd, [&] { return launch_traced(lo); });
  auto t = std::make_unique<Task>(pid, pid);
  t->cont();
  TaskStop s = t->wait();
  if (s.kind != TaskStop::Kind::Seccomp) throw std::runtime_error("no execve: " + s.describe());
  t->resume_syscall();
  s = t->wait();
  if (s.kind != TaskStop::Kind::Exec) throw std::runtime_error("exec failed: " + s.describe());
  t->resume_syscall();
  s = t->wait();
  if (s.kind != TaskStop::Kind::SyscallStop)
    throw std::runtime_error("after exec: " + s.describe());
  // Like prepare_exec, minus hiding the vDSO; it injects through the syscall stops because
  // this test filter lets mmap through without a seccomp stop.
  t->reopen_mem();  // the old /proc/PID/mem refers to the pre-exec address space
  uint64_t insn = 0;
  for (const Mapping& m : read_memory_map(pid)) {
    if (m.path != "[vdso]") continue;
    std::vector<uint8_t> img = t->read_bytes(m.start, m.size());
    for (size_t i = 0; i + 1 < img.size() && !insn; ++i)
      if (img[i] == 0x0f && img[i + 1] == 0x05) insn = m.start + i;
  }
  if (!insn) throw std::runtime_error("no syscall instruction in the vDSO");
  map_scratch_page(*t, insn);
  return t;
}

// ckrr traps rdtsc (PR_SET_TSC); ld.so executes one at startup. Emulates it like the time
// plugin would; returns false for a SIGSEGV that is not a trapped rdtsc/rdtscp.
inline bool emulate_rdtsc(Task& t) {
  Registers r = t.regs();
  uint8_t insn[3] = {};
  if (!t.try_read(r.rip, insn, sizeof insn)) return false;
  size_t len = insn[0] == 0x0f && insn[1] == 0x31                      ? 2
               : insn[0] == 0x0f && insn[1] == 0x01 && insn[2] == 0xf9 ? 3
                                                                       : 0;
  if (!len) return false;
  static uint64_t fake_tsc = 1000000;
  fake_tsc += 1000;
  r.rax = fake_tsc & 0xffffffff;
  r.rdx = fake_tsc >> 32;
  if (len == 3) r.rcx = 0;
  r.rip += len;
  t.set_regs(r);
  return true;
}

// Resumes t until its next marker (returns true, task stopped after the emulated getppid) or
// its exit (returns false, *exit_code set).
inline bool run_to_marker(Task& t, int* exit_code = nullptr) {
  int sig = 0;
  for (;;) {
    t.cont(sig);
    sig = 0;
    TaskStop s = t.wait();
    if (s.kind == TaskStop::Kind::Exited) {
      if (exit_code) *exit_code = s.code;
      return false;
    }
    if (s.gone()) throw std::runtime_error("program died: " + s.describe());
    if (s.kind == TaskStop::Kind::Seccomp && t.regs().orig_rax == SYS_getppid) {
      Registers r = t.regs();
      r.orig_rax = static_cast<uint64_t>(-1);
      r.rax = kMarkerResult;
      t.set_regs(r);
      return true;
    }
    if (s.kind == TaskStop::Kind::Signal && s.sig == SIGSEGV && emulate_rdtsc(t)) continue;
    if (s.kind == TaskStop::Kind::Signal) sig = s.sig;  // the program's own (SIGUSR1)
  }
}

inline int run_to_exit(Task& t) {
  int code = -1;
  while (run_to_marker(t, &code)) {
  }
  return code;
}

}  // namespace ckrr::test
