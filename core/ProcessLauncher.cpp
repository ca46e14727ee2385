#include "core/ProcessLauncher.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/Error.h"
#include "core/PathOverlay.h"
#include "core/SeccompFilter.h"

namespace ckrr {

namespace {

[[noreturn]] void child_fail(int fd, const char* what, int err) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "%s: %s", what, strerror(err));
  if (n > 0) (void)!::write(fd, buf, static_cast<size_t>(n));
  _exit(125);
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

void current_signal_state(uint64_t* ignored, uint64_t* blocked) {
  *ignored = 0;
  for (int sig = 1; sig <= 64; ++sig) {
    struct sigaction sa;
    if (sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN)
      *ignored |= 1ull << (sig - 1);
  }
  sigset_t set;
  sigprocmask(SIG_SETMASK, nullptr, &set);
  *blocked = 0;
  for (int sig = 1; sig <= 64; ++sig)
    if (sigismember(&set, sig) == 1) *blocked |= 1ull << (sig - 1);
}

int pin_to_current_cpu() {
  int cpu = sched_getcpu();
  if (cpu < 0) cpu = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
  return cpu;
}

bool pin_to_cpu(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

std::string resolve_program(const std::string& name, int* err) {
  auto usable = [&](const std::string& p) {
    struct stat st;
    if (stat(p.c_str(), &st) != 0) {
      *err = errno;
      return false;
    }
    if (S_ISDIR(st.st_mode) || access(p.c_str(), X_OK) != 0) {
      *err = EACCES;
      return false;
    }
    return true;
  };
  *err = ENOENT;
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return usable(name) ? name : "";
  const char* path = getenv("PATH");
  std::string_view rest = path ? path : "/usr/local/bin:/usr/bin:/bin";
  int first_err = ENOENT;
  for (;;) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    if (dir.empty()) dir = ".";
    std::string cand;
    cand.reserve(dir.size() + 1 + name.size());
    cand.append(dir).append(1, '/').append(name);
    if (usable(cand)) return cand;
    if (*err == EACCES) first_err = EACCES;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  *err = first_err;
  return "";
}

pid_t launch_traced(const LaunchOptions& opt) {
  int cpu = opt.cpu >= 0 ? opt.cpu : pin_to_current_cpu();
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) throw Error(errno_text("pipe", errno));
  std::vector<char*> argv = c_strings(opt.argv);
  std::vector<char*> envp = c_strings(opt.envp);
  // Targets missing here (a trace replayed on another machine) get an overlay to mount over.
  std::vector<std::string> targets;
  for (const auto& m : opt.bind_mounts) targets.push_back(m.second);
  // The working directory too, when it is missing here and the namespace is private anyway.
  // Without a private namespace, a missing directory is left out: the program starts in the
  // caller's, and only a later exec by relative path would need it (replay says so then).
  std::error_code cwd_ec;
  std::vector<std::string> dirs;
  const bool cwd_here = !opt.cwd.empty() && std::filesystem::is_directory(opt.cwd, cwd_ec);
  if (!opt.cwd.empty() && !cwd_here && !opt.bind_mounts.empty()) dirs.push_back(opt.cwd);
  const bool use_cwd = cwd_here || !dirs.empty();
  const PathOverlay overlay(targets, dirs);
  const std::string cwd_failure = "chdir to the recorded working directory " + opt.cwd;

  pid_t pid = fork();
  if (pid < 0) throw Error(errno_text("fork", errno));
  if (pid == 0) {
    close(errpipe[0]);
    int efd = errpipe[1];
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) child_fail(efd, "ptrace(TRACEME)", errno);
    if (!opt.bind_mounts.empty()) {
      if (unshare(CLONE_NEWNS) != 0) child_fail(efd, "unshare(CLONE_NEWNS)", errno);
      if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        child_fail(efd, "mount(MS_PRIVATE)", errno);
      const char* step = "";
      if (int err = overlay.apply(&step)) child_fail(efd, step, err);
      for (const auto& [src, dst] : opt.bind_mounts)
        if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) != 0)
          child_fail(efd, ("bind-mount " + src + " over " + dst).c_str(), errno);
    }
    if (personality(ADDR_NO_RANDOMIZE) < 0) child_fail(efd, "personality", errno);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) child_fail(efd, "sched_setaffinity", errno);
    if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0) child_fail(efd, "PR_SET_TSC", errno);
    for (int sig = 1; sig <= 64; ++sig) {
      if (sig == SIGKILL || sig == SIGSTOP) continue;
      struct sigaction sa {};
      sa.sa_handler = (opt.ignored_signals >> (sig - 1)) & 1 ? SIG_IGN : SIG_DFL;
      sigaction(sig, &sa, nullptr);
    }
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig = 1; sig <= 64; ++sig)
      if ((opt.blocked_signals >> (sig - 1)) & 1) sigaddset(&mask, sig);
    // SIGSTOP below must get through; it cannot be blocked anyway.
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    if (opt.new_process_group) setpgid(0, 0);
    if (opt.stdio_to_devnull) {
      int fd = open("/dev/null", O_RDWR);
      if (fd < 0) child_fail(efd, "/dev/null", errno);
      dup2(fd, 0);
      dup2(fd, 1);
      dup2(fd, 2);
      if (fd > 2) close(fd);
    }
    // Nothing of the supervisor's leaks into the app: fds 3+ are closed, except the error pipe
    // (close-on-exec).
    for (int fd = 3; fd < 1024; ++fd)
      if (fd != efd) close(fd);
    if (use_cwd && chdir(opt.cwd.c_str()) != 0) child_fail(efd, cwd_failure.c_str(), errno);
    raise(SIGSTOP);  // the supervisor sets ptrace options now
    int r = install_seccomp_filter(opt.filter);
    if (r < 0) child_fail(efd, "seccomp", -r);
    execve(opt.path.c_str(), argv.data(), envp.data());
    child_fail(efd, ("execve " + opt.path).c_str(), errno);
  }
  close(errpipe[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFSTOPPED(status)) {
    char buf[512] = {};
    ssize_t n = read(errpipe[0], buf, sizeof buf - 1);
    close(errpipe[0]);
    throw Error(std::string("could not start the program: ") + (n > 0 ? buf : "child died"));
  }
  close(errpipe[0]);
  long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEEXEC |
              PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
  if (ptrace(PTRACE_SETOPTIONS, pid, nullptr, opts) != 0) {
    int e = errno;
    kill(pid, SIGKILL);
    throw Error(errno_text("ptrace(SETOPTIONS)", e));
  }
  return pid;
}

}  // namespace ckrr
