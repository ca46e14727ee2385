#include "replayer/ExecFromFd.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/Error.h"
#include "core/RemoteSyscall.h"

namespace ckrr {

bool exec_names_fd(long nr, const Registers& regs) {
  constexpr uint64_t kEmptyPath = 0x1000;  // AT_EMPTY_PATH
  return nr == SYS_execveat && (regs.r8 & kEmptyPath) && static_cast<int>(regs.rdi) >= 0;
}

namespace {
void write_program_to_fd(Task& t, const ProcessState& proc, const std::string& stored_file,
                         int fd) {
  long m = remote_syscall(t, SYS_memfd_create, {stage_string(t, "ckrr-exec"), 0});
  if (m < 0) throw Error("replay: memfd_create in the process failed");
  std::string via = "/proc/" + std::to_string(t.tid()) + "/fd/" + std::to_string(m);
  int out = open(via.c_str(), O_WRONLY | O_CLOEXEC);
  int in = open(stored_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (out < 0 || in < 0) throw Error("replay: cannot copy the program " + stored_file);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, n) != n)
      throw Error("replay: copying the program " + stored_file + " failed");
  close(in);
  close(out);
  const FdEntry* e = proc.fd(fd);
  uint64_t flags = e && e->cloexec ? O_CLOEXEC : 0;
  if (m != fd) {
    if (remote_syscall(t, SYS_dup3, {uint64_t(m), uint64_t(fd), flags}) < 0)
      throw Error("replay: cannot place the program at fd " + std::to_string(fd));
    remote_syscall(t, SYS_close, {uint64_t(m)});
  } else if (flags) {
    remote_syscall(t, SYS_fcntl, {uint64_t(m), F_SETFD, FD_CLOEXEC});
  }
}

}  // namespace

void provide_exec_fd(Task& t, const ProcessState& proc, const std::string& stored_file,
                     const std::function<void(Task&)>& skip_call) {
  before_pending_call(
      t, skip_call,
      [&](const Registers& entry) {
        write_program_to_fd(t, proc, stored_file, static_cast<int>(entry.rdi));
      },
      "replay: the exec");
}

}  // namespace ckrr
