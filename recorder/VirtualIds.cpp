#include "recorder/VirtualIds.h"

#include <sys/syscall.h>

#include "core/Error.h"
#include "core/ScratchPage.h"

namespace ckrr {

pid_t VirtualIds::to_real(pid_t pid) const {
  if (virtual_pid == real_pid) return pid;
  if (pid == virtual_pid) return real_pid;
  if (pid == -virtual_pid) return -real_pid;
  return pid;
}

pid_t VirtualIds::to_virtual(pid_t pid) const {
  if (pid == real_pid) return virtual_pid;
  return pid;
}

namespace {

// If `path` at `at` holds `from` as a whole path component, replaces it by `to` and returns
// the position after it; else returns npos.
size_t replace_component(std::string& path, size_t at, const std::string& from,
                         const std::string& to) {
  if (path.compare(at, from.size(), from) != 0) return std::string::npos;
  size_t end = at + from.size();
  if (end != path.size() && path[end] != '/') return std::string::npos;
  path.replace(at, from.size(), to);
  return at + to.size();
}

}  // namespace

std::optional<std::string> VirtualIds::translate_proc_path(const std::string& path) const {
  if (virtual_pid == real_pid) return std::nullopt;
  static const std::string kProc = "/proc/";
  if (path.compare(0, kProc.size(), kProc) != 0) return std::nullopt;
  const std::string v = std::to_string(virtual_pid), r = std::to_string(real_pid);
  std::string out = path;
  size_t after = replace_component(out, kProc.size(), v, r);
  size_t task_at = std::string::npos;
  if (after != std::string::npos) {
    task_at = after + 6;  // "/task/"
    if (out.compare(after, 6, "/task/") != 0) task_at = std::string::npos;
  } else if (out.compare(kProc.size(), 10, "self/task/") == 0) {
    task_at = kProc.size() + 10;  // /proc/self is right already; its task/<virtual> is not
  }
  bool changed = after != std::string::npos;
  if (task_at != std::string::npos && replace_component(out, task_at, v, r) != std::string::npos)
    changed = true;
  if (!changed) return std::nullopt;
  return out;
}

std::vector<int> VirtualIds::pid_args(long nr) {
  switch (nr) {
    case SYS_kill:
    case SYS_tkill:
    case SYS_rt_sigqueueinfo:
    case SYS_pidfd_open:
    case SYS_getpgid:
    case SYS_getsid:
    case SYS_setpgid:
    case SYS_sched_setaffinity:
    case SYS_sched_getaffinity:
    case SYS_sched_setparam:
    case SYS_sched_getparam:
    case SYS_sched_setscheduler:
    case SYS_sched_getscheduler:
    case SYS_sched_rr_get_interval:
    case SYS_sched_setattr:
    case SYS_sched_getattr:
    case SYS_prlimit64:
    case SYS_process_vm_readv:
    case SYS_process_vm_writev:
    case SYS_get_robust_list:
      return {0};
    case SYS_tgkill:
    case SYS_rt_tgsigqueueinfo:
      return {0, 1};
    default:
      return {};
  }
}

int VirtualIds::path_arg(long nr) {
  switch (nr) {
    case SYS_open:
    case SYS_readlink:
    case SYS_stat:
    case SYS_lstat:
    case SYS_access:
    case SYS_truncate:
    case SYS_chdir:
    case SYS_statfs:
      return 0;
    case SYS_openat:
    case SYS_openat2:
    case SYS_readlinkat:
    case SYS_newfstatat:
    case SYS_statx:
    case SYS_faccessat:
    case SYS_faccessat2:
      return 1;
    default:
      return -1;
  }
}

namespace {
uint64_t* arg_reg(Registers& r, int i) {
  uint64_t* regs[] = {reinterpret_cast<uint64_t*>(&r.rdi), reinterpret_cast<uint64_t*>(&r.rsi),
                      reinterpret_cast<uint64_t*>(&r.rdx), reinterpret_cast<uint64_t*>(&r.r10),
                      reinterpret_cast<uint64_t*>(&r.r8),  reinterpret_cast<uint64_t*>(&r.r9)};
  return regs[i];
}
}  // namespace

bool VirtualIds::translate_args(Task& t, long nr, Registers& changed) const {
  if (virtual_pid == real_pid) return false;
  bool any = false;
  for (int i : pid_args(nr)) {
    uint64_t* a = arg_reg(changed, i);
    pid_t pid = static_cast<pid_t>(*a);
    pid_t real = to_real(pid);
    if (real != pid) {
      *a = static_cast<uint64_t>(static_cast<int64_t>(real));
      any = true;
    }
  }
  int pa = path_arg(nr);
  if (pa >= 0) {
    uint64_t* a = arg_reg(changed, pa);
    std::string path;
    try {
      path = t.read_string(*a, kScratchDataSize);
    } catch (const Error&) {
      path.clear();  // a bad pointer: the kernel will say EFAULT
    }
    if (auto p = translate_proc_path(path); p && p->size() < kScratchDataSize) {
      // The scratch page is ckrr's: the program never uses it, so the rewritten path can live
      // there while the syscall runs.
      t.write(kScratchDataAddr, p->c_str(), p->size() + 1);
      *a = kScratchDataAddr;
      any = true;
    }
  }
  return any;
}

}  // namespace ckrr
