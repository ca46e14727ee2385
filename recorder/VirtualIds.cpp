#include "recorder/VirtualIds.h"

#include <sys/syscall.h>

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

}  // namespace ckrr
