#include "recorder/VirtualIds.h"

#include <sys/syscall.h>

#include "core/Error.h"
#include "core/ScratchPage.h"

namespace ckrr {

pid_t VirtualIds::to_real(pid_t pid) const {
  if (virtual_pid != real_pid) {
    if (pid == virtual_pid) return real_pid;
    if (pid == -virtual_pid) return -real_pid;
  }
  if (!peers.empty() && pid != 0 && pid != -1) {
    auto it = peers.find(pid < 0 ? -pid : pid);
    if (it != peers.end()) return pid < 0 ? -it->second : it->second;
  }
  return pid;
}

pid_t VirtualIds::to_virtual(pid_t pid) const {
  if (pid == real_pid) return virtual_pid;
  for (const auto& [v, r] : peers)
    if (r == pid) return v;
  return pid;
}

pid_t VirtualIds::tid_to_real(pid_t tid) const {
  auto it = tids.find(tid);
  return it != tids.end() ? it->second : to_real(tid);
}

pid_t VirtualIds::tid_to_virtual(pid_t real_tid) const {
  for (const auto& [v, r] : tids)
    if (r == real_tid) return v;
  return to_virtual(real_tid);
}

namespace {
// The sched_* calls: their first argument names a thread.
bool is_sched_call(long nr) {
  switch (nr) {
    case SYS_sched_setaffinity:
    case SYS_sched_getaffinity:
    case SYS_sched_setparam:
    case SYS_sched_getparam:
    case SYS_sched_setscheduler:
    case SYS_sched_getscheduler:
    case SYS_sched_rr_get_interval:
    case SYS_sched_setattr:
    case SYS_sched_getattr:
      return true;
    default:
      return false;
  }
}
}  // namespace

bool VirtualIds::is_tid_arg(long nr, int index) {
  if (is_sched_call(nr)) return index == 0;
  switch (nr) {
    case SYS_tkill:
    case SYS_get_robust_list:
      return index == 0;
    case SYS_tgkill:
    case SYS_rt_tgsigqueueinfo:
      return index == 1;
    default:
      return false;
  }
}

std::optional<std::string> VirtualIds::translate_proc_path(const std::string& path) const {
  if (identity()) return std::nullopt;
  static const std::string kProc = "/proc/";
  if (path.compare(0, kProc.size(), kProc) != 0) return std::nullopt;
  std::string out = path;
  bool changed = false;
  // The component at `at` names a recorded id: the process's (as_thread false) or a thread's.
  // Returns the position after it, or npos when it names none.
  auto translate_at = [&](size_t at, bool as_thread) {
    size_t end = out.find('/', at);
    if (end == std::string::npos) end = out.size();
    std::string comp = out.substr(at, end - at);
    if (comp.empty() || comp.find_first_not_of("0123456789") != std::string::npos ||
        comp.size() > 9)
      return std::string::npos;
    pid_t v = static_cast<pid_t>(std::stol(comp));
    pid_t r = as_thread || (v != virtual_pid && tids.count(v)) ? tid_to_real(v) : to_real(v);
    if (r != v) {
      std::string rs = std::to_string(r);
      out.replace(at, comp.size(), rs);
      changed = true;
      return at + rs.size();
    }
    return end;
  };
  const std::string own = std::to_string(virtual_pid);
  const bool own_dir =
      out.compare(kProc.size(), own.size(), own) == 0 &&
      (out.size() == kProc.size() + own.size() || out[kProc.size() + own.size()] == '/');
  size_t after = translate_at(kProc.size(), false);
  size_t task_at = std::string::npos;
  if (after != std::string::npos) {
    // Only the program's own task directory holds its recorded tids.
    if (own_dir && out.compare(after, 6, "/task/") == 0) task_at = after + 6;
  } else if (out.compare(kProc.size(), 10, "self/task/") == 0) {
    task_at = kProc.size() + 10;  // /proc/self is right already; its task/<recorded> is not
  }
  if (task_at != std::string::npos) translate_at(task_at, true);
  if (!changed) return std::nullopt;
  return out;
}

std::vector<int> VirtualIds::pid_args(long nr) {
  if (is_sched_call(nr)) return {0};
  switch (nr) {
    case SYS_kill:
    case SYS_tkill:
    case SYS_rt_sigqueueinfo:
    case SYS_pidfd_open:
    case SYS_getpgid:
    case SYS_getsid:
    case SYS_setpgid:
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
  if (identity()) return false;
  bool any = false;
  for (int i : pid_args(nr)) {
    uint64_t* a = arg_reg(changed, i);
    pid_t pid = static_cast<pid_t>(*a);
    pid_t real = is_tid_arg(nr, i) ? tid_to_real(pid) : to_real(pid);
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
