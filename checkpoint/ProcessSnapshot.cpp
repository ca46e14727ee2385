#include "checkpoint/ProcessSnapshot.h"

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "core/Error.h"
#include "core/ScratchPage.h"

namespace ckrr {

namespace {
void kill_and_reap(pid_t pid) {
  kill(pid, SIGKILL);
  int st;
  while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR) {
  }
}

// The parent of pid (from /proc/PID/stat, after the command name), or -1.
pid_t parent_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(f, line);
  size_t close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 1));
  std::string state;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}
}  // namespace

bool ProcessSnapshot::possible(pid_t pid) {
  return parent_of(pid) == getpid();
}

ProcessSnapshot::ProcessSnapshot(Task& t) {
  // CLONE_PARENT gives the copy the process's parent, and its exit signal too: unless that is
  // ckrr, the app's parent would get a SIGCHLD for the copy and could reap it as its child.
  if (parent_of(t.tgid()) != getpid())
    throw Error("snapshot: process " + std::to_string(t.tgid()) + " is not a child of ckrr");
  const Registers saved = t.regs();
  Registers r = saved;
  r.rax = SYS_clone;
  r.orig_rax = static_cast<uint64_t>(-1);
  r.rdi = CLONE_PARENT;  // flags; the low byte (exit signal) is 0
  r.rsi = 0;             // same stack (copy-on-write)
  r.rdx = 0;
  r.r10 = 0;
  r.r8 = 0;
  r.rip = kInjectSyscallAddr;
  t.set_regs(r);
  t.cont();
  pid_t child = -1;
  for (;;) {
    TaskStop s = t.wait();
    if (s.kind == TaskStop::Kind::Clone) {
      child = static_cast<pid_t>(t.event_msg());
      t.cont();
      continue;
    }
    if (s.kind == TaskStop::Kind::Signal && s.sig == SIGTRAP) break;
    t.set_regs(saved);
    if (child > 0) kill_and_reap(child);
    throw Error("snapshot of process " + std::to_string(t.tgid()) + ": unexpected " + s.describe());
  }
  long result = static_cast<long>(t.regs().rax);
  t.set_regs(saved);
  if (result < 0) throw Error(errno_text("snapshot (clone)", static_cast<int>(-result)));
  if (child <= 0) {
    // Not traced: it would run app code. It never will: kill it before anything else.
    kill_and_reap(static_cast<pid_t>(result));
    throw Error("snapshot: the copy was not traced (PTRACE_O_TRACECLONE missing)");
  }
  // Its first stop as an auto-attached tracee.
  int st;
  while (waitpid(child, &st, __WALL) < 0 && errno == EINTR) {
  }
  if (!WIFSTOPPED(st)) throw Error("snapshot: the copy did not stop");
  copy_ = std::make_unique<Task>(child, child);
}

bool ProcessSnapshot::alive() const {
  if (!copy_) return false;
  std::ifstream f("/proc/" + std::to_string(copy_->tid()) + "/stat");
  std::string line;
  std::getline(f, line);
  size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  char state = line[close + 2];
  return state == 't' || state == 'T';
}

ProcessSnapshot::~ProcessSnapshot() {
  if (copy_) kill_and_reap(copy_->tid());
}

}  // namespace ckrr
