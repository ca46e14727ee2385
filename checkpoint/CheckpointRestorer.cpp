#include "checkpoint/CheckpointRestorer.h"

#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>

#include "checkpoint/LazyPages.h"
#include "checkpoint/PageCopier.h"
#include "checkpoint/RestoreStub.h"
#include "core/Error.h"
#include "core/MemoryMap.h"
#include "core/ProcessLauncher.h"
#include "core/RemoteSyscall.h"
#include "storage/PageStore.h"

namespace ckrr {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// <linux/signal.h>'s SS_AUTODISARM; glibc's headers lack it.
constexpr int kSsAutoDisarm = static_cast<int>(1u << 31);

std::string hex(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

int prot_of(const SavedRegion& r) {
  return (r.read ? PROT_READ : 0) | (r.write ? PROT_WRITE : 0) | (r.exec ? PROT_EXEC : 0);
}

bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1) {
  return a0 < b1 && b0 < a1;
}

// Starts the stub and brings it to the syscall-exit stop of its execve, like replay's on_exec.
std::unique_ptr<Task> start_stub(const RestoreStub& stub, const RestoreOptions& opt) {
  LaunchOptions lo;
  lo.path = stub.path();
  lo.argv = {"ckrr-restore"};
  lo.filter = opt.filter;
  lo.cpu = opt.cpu;
  lo.stdio_to_devnull = opt.stdio_to_devnull;
  lo.new_process_group = opt.new_process_group;
  pid_t pid = launch_traced(lo);
  auto t = std::make_unique<Task>(pid, pid);
  auto expect = [&](TaskStop::Kind k, const char* what) {
    TaskStop s = t->wait();
    if (s.kind != k)
      throw Error(std::string("restore: starting the stub: expected ") + what + ", got " +
                  s.describe());
  };
  t->cont();
  // Without an allow-listed execve the filter stops at it first.
  TaskStop s = t->wait();
  if (s.kind == TaskStop::Kind::Seccomp) {
    t->resume_syscall();
    expect(TaskStop::Kind::Exec, "exec");
  } else if (s.kind != TaskStop::Kind::Exec) {
    throw Error("restore: starting the stub: expected exec, got " + s.describe());
  }
  t->resume_syscall();
  expect(TaskStop::Kind::SyscallStop, "the end of execve");
  t->reopen_mem();
  return t;
}

// The vvar block's start and the vdso's, as mapped in the checkpoint (0 if none).
void vdso_layout(const std::vector<SavedRegion>& regions, uint64_t& vvar, uint64_t& vdso) {
  vvar = vdso = 0;
  for (const SavedRegion& r : regions) {
    if (r.kind == SavedRegion::Kind::Vvar && (!vvar || r.start < vvar)) vvar = r.start;
    if (r.kind == SavedRegion::Kind::Vdso) vdso = r.start;
  }
}

class Rebuilder {
 public:
  Rebuilder(Task& t, const CheckpointManifest& m, const PageStore& pages, const RestoreOptions& o)
      : t_(t), m_(m), pages_(pages), opt_(o), copier_(pages, t.tid()) {}

  void run() {
    unmap_all();
    recreate_vdso();
    lazy_ = LazyPages::open(t_);
    for (const SavedRegion& r : m_.regions)
      if (r.kind == SavedRegion::Kind::Memory) map_region(r);
    if (lazy_ && lazy_filled_) LazyPages::start(std::move(lazy_), pages_);
    lazy_.reset();
    remote_syscall_checked(t_, "munmap of the restore stub", SYS_munmap,
                           {kRestoreStubAddr, kRestoreStubSize});
    set_mm();
    restore_signals_and_misc();
    for (auto& [pack, fd] : pack_fds_) remote_syscall(t_, SYS_close, {uint64_t(fd)});
    for (size_t i = 1; i < m_.threads.size(); ++i) threads_.push_back(add_thread(m_.threads[i]));
    const SavedThread& th = m_.threads.front();
    if (th.clear_child_tid) remote_syscall(t_, SYS_set_tid_address, {th.clear_child_tid});
    t_.set_regs(th.regs);
    t_.set_xstate(th.xstate);
  }

  std::vector<std::unique_ptr<Task>> take_threads() { return std::move(threads_); }

 private:
  void unmap_all() {
    for (const Mapping& map : read_memory_map(t_.tgid())) {
      if (map.start == kRestoreStubAddr || map.start == kScratchPageAddr ||
          map.path == "[vsyscall]")
        continue;
      remote_syscall_checked(t_, "munmap " + hex(map.start), SYS_munmap, {map.start, map.size()});
    }
    for (const SavedRegion& r : m_.regions)
      if (r.kind == SavedRegion::Kind::Memory &&
          (overlaps(r.start, r.end, kRestoreStubAddr, kRestoreStubAddr + kRestoreStubSize) ||
           overlaps(r.start, r.end, kScratchPageAddr, kScratchPageAddr + kScratchPageSize)))
        throw Error("restore: the checkpoint has a mapping at " + hex(r.start) + "-" + hex(r.end) +
                    ", where ckrr's restore stub or scratch page must be");
  }

  void recreate_vdso() {
    uint64_t vvar, vdso;
    vdso_layout(m_.regions, vvar, vdso);
    if (!vdso) return;
    uint64_t at = vvar ? vvar : vdso;
    long r = remote_syscall(t_, SYS_arch_prctl, {ARCH_MAP_VDSO_64, at});
    if (r < 0)
      throw Error("restore: arch_prctl(ARCH_MAP_VDSO_64, " + hex(at) +
                  ") failed: " + strerror(static_cast<int>(-r)));
    const Mapping* got = nullptr;
    std::vector<Mapping> now = read_memory_map(t_.tgid());
    for (const Mapping& map : now)
      if (map.path == "[vdso]") got = &map;
    if (!got || got->start != vdso)
      throw Error("restore: this kernel's vDSO layout differs from the checkpoint's (vDSO at " +
                  (got ? hex(got->start) : std::string("nowhere")) + ", expected " + hex(vdso) +
                  "); a checkpoint restores only on the kernel that took it");
    // ckrr patches the vDSO (entry points redirected to real syscalls): put the saved bytes back.
    for (const SavedRegion& r : m_.regions)
      if (r.kind == SavedRegion::Kind::Vdso) write_runs(r);
  }

  int pack_fd(uint32_t pack) {
    auto it = pack_fds_.find(pack);
    if (it != pack_fds_.end()) return it->second;
    fs::path p = fs::absolute(pages_.pack_path(pack));
    uint64_t addr = stage_string(t_, p.string());
    long fd = remote_syscall(t_, SYS_openat, {uint64_t(AT_FDCWD), addr, O_RDONLY | O_CLOEXEC});
    if (fd < 0)
      throw TraceError("restore: cannot open checkpoint pages " + p.string() + ": " +
                       strerror(static_cast<int>(-fd)));
    pack_fds_[pack] = static_cast<int>(fd);
    return static_cast<int>(fd);
  }

  // Reads each non-zero run of r and hands it to put(offset in r, bytes).
  template <typename Put>
  void each_stored_run(const SavedRegion& r, Put put) {
    for (const PageRun& run : r.runs) {
      if (run.ref.zero()) continue;
      buf_.resize(run.npages * kPageSize);
      pages_.read_pages(run.ref, run.npages, buf_.data());
      put(run.first * kPageSize, buf_);
    }
  }

  // Writes the non-zero runs of shared region r into the pool's memfd, at r's file offset.
  void fill_shared(int fd, const SavedRegion& r) {
    each_stored_run(r, [&](uint64_t off, const std::vector<uint8_t>& bytes) {
      const off_t at = static_cast<off_t>(r.offset + off);
      if (::pwrite(fd, bytes.data(), bytes.size(), at) != static_cast<ssize_t>(bytes.size()))
        throw Error(errno_text("restore: filling shared memory", errno));
    });
  }

  // Copies the non-zero runs of r into the process (memory already mapped and writable).
  void write_runs(const SavedRegion& r) {
    each_stored_run(r, [&](uint64_t off, const std::vector<uint8_t>& bytes) {
      t_.write(r.start + off, bytes.data(), bytes.size());
    });
  }

  void map_region(const SavedRegion& r) {
    const std::string what = "mmap of " + hex(r.start) + "-" + hex(r.end) + " " + r.path;
    const int prot = prot_of(r);
    const uint64_t len = r.end - r.start;
    const bool stack = r.path == "[stack]";
    if (r.shared && r.write && opt_.shared) {
      bool fresh = false;
      int fd = opt_.shared->object(r.inode, r.offset, len, &fresh);
      if (fresh) fill_shared(fd, r);
      uint64_t path = stage_string(t_, SharedMemoryPool::path_of(fd));
      long pfd = remote_syscall(t_, SYS_openat, {uint64_t(AT_FDCWD), path, O_RDWR | O_CLOEXEC});
      if (pfd < 0)
        throw Error("restore: cannot open shared memory for " + what + ": " +
                    strerror(static_cast<int>(-pfd)));
      remote_syscall_checked(
          t_, what, SYS_mmap,
          {r.start, len, uint64_t(prot), MAP_SHARED | MAP_FIXED, uint64_t(pfd), r.offset});
      remote_syscall(t_, SYS_close, {uint64_t(pfd)});
      return;
    } else if (r.shared) {
      // Mapping a pack MAP_SHARED would let the app write into the trace: copy instead.
      remote_syscall_checked(t_, what, SYS_mmap,
                             {r.start, len, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, uint64_t(-1), 0});
      write_runs(r);
    } else if (!stack && anonymous(r)) {
      // Anonymous memory is restored as anonymous memory, its pages copied in: a private
      // mapping of the packs would give the pack's page back, not zeros, after a
      // MADV_DONTNEED, and extend with pack contents on an mremap that grows it.
      // Filled lazily where the kernel allows (LazyPages), else copied in now.
      remote_syscall_checked(t_, what, SYS_mmap,
                             {r.start, len, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, uint64_t(-1), 0});
      const bool lazy = lazy_ && lazy_->add_region(r.start, r.end);
      for (const PageRun& run : r.runs) {
        if (run.ref.zero()) continue;
        const uint64_t addr = r.start + run.first * kPageSize;
        if (lazy)
          lazy_->add_run(addr, run.ref, run.npages), lazy_filled_ = true;
        else
          copier_.add(addr, run.ref, run.npages);
      }
      copier_.flush();
    } else if (!stack && r.runs.size() == 1 && !r.runs[0].ref.zero() &&
               r.runs[0].npages >= opt_.map_min_pages) {
      // The whole mapping is one stored run: one mmap with the final protection.
      remote_syscall_checked(t_, what, SYS_mmap,
                             {r.start, len, uint64_t(prot), MAP_PRIVATE | MAP_FIXED,
                              uint64_t(pack_fd(r.runs[0].ref.pack)), r.runs[0].ref.offset});
      return;
    } else {
      // [stack] stays anonymous and grows down: a file-backed stack empties /proc/PID/cmdline.
      uint64_t flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | (stack ? MAP_GROWSDOWN : 0);
      remote_syscall_checked(t_, what, SYS_mmap,
                             {r.start, len, PROT_READ | PROT_WRITE, flags, uint64_t(-1), 0});
      if (stack)
        write_runs(r);
      else
        map_runs(r, what);
    }
    if (prot != (PROT_READ | PROT_WRITE))
      remote_syscall_checked(t_, "mprotect of " + hex(r.start), SYS_mprotect,
                             {r.start, len, uint64_t(prot)});
  }

  // Private mappings that were not of a file: the heap, [anon:...] and mmap(MAP_ANONYMOUS).
  static bool anonymous(const SavedRegion& r) {
    return r.path.empty() || (r.path.front() == '[' && r.path != "[vdso]" && r.path != "[vvar]");
  }

  // A mapping of a file checkpointed several times is a patchwork: mostly pages of the pack that
  // first stored it, at the same relative offsets, interleaved with the pages changed since. Map
  // the span of that dominant pack in one mmap, then patch the other runs over it: long ones
  // mmap'd, short ones copied (zero runs inside the span zeroed). Cost follows the number of
  // changed pages, not the size of the mapping, and the number of VMAs stays small.
  void map_runs(const SavedRegion& r, const std::string& what) {
    auto delta = [](const PageRun& run) {
      return std::make_pair(run.ref.pack, static_cast<int64_t>(run.ref.offset) -
                                              static_cast<int64_t>(run.first * kPageSize));
    };
    std::map<std::pair<uint32_t, int64_t>, uint64_t> weight;
    for (const PageRun& run : r.runs)
      if (!run.ref.zero()) weight[delta(run)] += run.npages;
    std::pair<uint32_t, int64_t> base{0, 0};
    uint64_t best = 0;
    for (const auto& [k, w] : weight)
      if (w > best) base = k, best = w;
    uint64_t span_first = 0, span_end = 0;
    if (best >= opt_.map_min_pages) {
      span_first = UINT64_MAX;
      for (const PageRun& run : r.runs)
        if (!run.ref.zero() && delta(run) == base) {
          span_first = std::min(span_first, run.first);
          span_end = run.first + run.npages;
        }
      remote_syscall_checked(
          t_, what, SYS_mmap,
          {r.start + span_first * kPageSize, (span_end - span_first) * kPageSize,
           PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, uint64_t(pack_fd(base.first)),
           static_cast<uint64_t>(base.second + static_cast<int64_t>(span_first * kPageSize))});
    }
    PageCopier copier(pages_, t_.tid());
    for (const PageRun& run : r.runs) {
      const bool in_span = run.first >= span_first && run.first < span_end;
      const bool is_long = run.npages >= opt_.map_min_pages;
      const uint64_t addr = r.start + run.first * kPageSize, bytes = run.npages * kPageSize;
      if (in_span && !run.ref.zero() && delta(run) == base) continue;
      if (run.ref.zero()) {
        if (!in_span) continue;  // the anonymous mapping underneath is zero already
        if (is_long) {
          remote_syscall_checked(t_, what, SYS_mmap,
                                 {addr, bytes, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, uint64_t(-1), 0});
        } else {
          buf_.assign(bytes, 0);
          t_.write(addr, buf_.data(), bytes);
        }
      } else if (is_long) {
        remote_syscall_checked(t_, what, SYS_mmap,
                               {addr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
                                uint64_t(pack_fd(run.ref.pack)), run.ref.offset});
      } else {
        copier.add(addr, run.ref, run.npages);
      }
    }
    copier.flush();
  }

  void set_mm() {
    prctl_mm_map mm{};
    mm.start_code = m_.mm.start_code;
    mm.end_code = m_.mm.end_code;
    mm.start_data = m_.mm.start_data;
    mm.end_data = m_.mm.end_data;
    mm.start_brk = m_.mm.start_brk;
    mm.brk = m_.mm.brk;
    mm.start_stack = m_.mm.start_stack;
    mm.arg_start = m_.mm.arg_start;
    mm.arg_end = m_.mm.arg_end;
    mm.env_start = m_.mm.env_start;
    mm.env_end = m_.mm.env_end;
    const uint64_t auxv_addr = kScratchDataAddr + ((sizeof mm + 15) & ~15ul);
    if (m_.auxv.size() > kScratchDataSize - (auxv_addr - kScratchDataAddr))
      throw Error("restore: the saved auxv is too large");
    mm.auxv = reinterpret_cast<__u64*>(auxv_addr);
    mm.auxv_size = static_cast<__u32>(m_.auxv.size());
    // exe link: the recorded executable if it still exists (best effort: replay does not need
    // it, and the kernel refuses a file that is not executable).
    long exe_fd = -1;
    std::string exe = m_.exe;
    if (!exe.empty() && access(exe.c_str(), X_OK) == 0)
      exe_fd = remote_syscall(t_, SYS_openat,
                              {uint64_t(AT_FDCWD), stage_string(t_, exe), O_RDONLY | O_CLOEXEC});
    t_.write(auxv_addr, m_.auxv.data(), m_.auxv.size());

    long r = -1;
    for (int attempt = 0; attempt < 2; ++attempt) {
      mm.exe_fd = exe_fd >= 0 && attempt == 0 ? static_cast<__u32>(exe_fd) : static_cast<__u32>(-1);
      t_.write(kScratchDataAddr, &mm, sizeof mm);
      r = remote_syscall(t_, SYS_prctl, {PR_SET_MM, PR_SET_MM_MAP, kScratchDataAddr, sizeof mm, 0});
      if (r == 0 || exe_fd < 0) break;
    }
    if (exe_fd >= 0) remote_syscall(t_, SYS_close, {uint64_t(exe_fd)});
    if (r != 0)
      throw Error("restore: prctl(PR_SET_MM_MAP) failed: " +
                  std::string(strerror(static_cast<int>(-r))));
  }

  void restore_signals_and_misc() {
    for (int sig = 1; sig <= 64; ++sig) {
      const KernelSigaction& sa = m_.sigactions[sig - 1];
      if (sig == SIGKILL || sig == SIGSTOP || (!sa.handler && !sa.flags && !sa.mask)) continue;
      t_.write(kScratchDataAddr, &sa, sizeof sa);
      remote_syscall_checked(t_, "rt_sigaction(" + std::to_string(sig) + ")", SYS_rt_sigaction,
                             {uint64_t(sig), kScratchDataAddr, 0, 8});
    }
    restore_thread_state(t_, m_.threads.front());
    if (opt_.restore_cwd && !m_.cwd.empty())
      remote_syscall(t_, SYS_chdir, {stage_string(t_, m_.cwd)});
    if (!m_.comm.empty())
      remote_syscall(t_, SYS_prctl, {PR_SET_NAME, stage_string(t_, m_.comm.substr(0, 15))});
  }

  // Another thread of the process: cloned from the scratch page's syscall instruction (it starts
  // at the int3 after it and stops first at its attach SIGSTOP), then given its own kernel
  // state through injected syscalls, its registers and its XSAVE area.
  std::unique_ptr<Task> add_thread(const SavedThread& th) {
    const Registers saved = t_.regs();
    Registers r = saved;
    r.rax = SYS_clone;
    r.orig_rax = static_cast<uint64_t>(-1);
    r.rdi = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    r.rsi = th.regs.rsp;
    r.rdx = r.r10 = r.r8 = 0;
    r.rip = kInjectSyscallAddr;
    t_.set_regs(r);
    t_.cont();
    TaskStop s = t_.wait();
    if (s.kind != TaskStop::Kind::Clone) throw Error("restore: clone of a thread: " + s.describe());
    pid_t tid = static_cast<pid_t>(t_.event_msg());
    t_.cont();
    s = t_.wait();
    if (s.kind != TaskStop::Kind::Signal || s.sig != SIGTRAP)
      throw Error("restore: after the clone of a thread: " + s.describe());
    t_.set_regs(saved);
    auto nt = std::make_unique<Task>(tid, t_.tgid());
    s = nt->wait();
    if (s.gone()) throw Error("restore: a new thread ended: " + s.describe());
    Task& n = *nt;
    restore_thread_state(n, th);
    if (th.clear_child_tid) remote_syscall(n, SYS_set_tid_address, {th.clear_child_tid});
    n.set_regs(th.regs);
    n.set_xstate(th.xstate);
    return nt;
  }

  // What the kernel keeps per thread: alternate signal stack, signal mask, robust list.
  static void restore_thread_state(Task& t, const SavedThread& th) {
    if (!(th.altstack_flags & SS_DISABLE)) {
      stack_t ss{};
      ss.ss_sp = reinterpret_cast<void*>(th.altstack_sp);
      ss.ss_size = th.altstack_size;
      ss.ss_flags = th.altstack_flags & kSsAutoDisarm;
      t.write(kScratchDataAddr, &ss, sizeof ss);
      remote_syscall_checked(t, "sigaltstack", SYS_sigaltstack, {kScratchDataAddr, 0});
    }
    t.write(kScratchDataAddr, &th.sigmask, 8);
    remote_syscall_checked(t, "rt_sigprocmask", SYS_rt_sigprocmask,
                           {SIG_SETMASK, kScratchDataAddr, 0, 8});
    if (th.robust_list)
      remote_syscall_checked(t, "set_robust_list", SYS_set_robust_list,
                             {th.robust_list, th.robust_list_len});
  }

  std::vector<std::unique_ptr<Task>> threads_;
  Task& t_;
  const CheckpointManifest& m_;
  const PageStore& pages_;
  const RestoreOptions& opt_;
  std::map<uint32_t, int> pack_fds_;
  std::vector<uint8_t> buf_;
  PageCopier copier_;  // packs mapped here once for the whole restore
  std::unique_ptr<LazyPages> lazy_;
  bool lazy_filled_ = false;  // some page is left to lazy_
};

}  // namespace

std::vector<uint32_t> list_checkpoints(const fs::path& checkpoints_dir) {
  std::vector<uint32_t> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(checkpoints_dir, ec)) {
    std::string name = e.path().filename().string();
    if (!name.empty() && name.size() < 10 &&
        name.find_first_not_of("0123456789") == std::string::npos)
      ids.push_back(static_cast<uint32_t>(std::stoul(name)));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

CheckpointRestorer::CheckpointRestorer(const fs::path& checkpoints_dir) : dir_(checkpoints_dir) {}

RestoredProcess CheckpointRestorer::restore(uint32_t id, const RestoreOptions& opt) {
  return restore(CheckpointManifest::load(dir_ / std::to_string(id)), opt);
}

RestoredProcess CheckpointRestorer::restore(const CheckpointManifest& m,
                                            const RestoreOptions& opt) {
  return restore_into(nullptr, m, opt);
}

std::unique_ptr<Task> CheckpointRestorer::start_empty(const RestoreOptions& opt) {
  RestoreStub stub;
  std::unique_ptr<Task> t = start_stub(stub, opt);
  try {
    // The scratch page first, through the stub's own syscall instruction (a seccomp stop):
    // every later syscall is injected from it without a stop.
    map_scratch_page(*t, t->regs().rip);
  } catch (...) {
    kill(t->tgid(), SIGKILL);
    t->wait();
    throw;
  }
  return t;
}

std::unique_ptr<Task> CheckpointRestorer::fork_empty(Task& parent) {
  const Registers saved = parent.regs();
  Registers r = saved;
  r.rax = SYS_clone;
  r.orig_rax = static_cast<uint64_t>(-1);
  r.rdi = SIGCHLD;  // a plain fork: same stub, same scratch page, traced (PTRACE_O_TRACEFORK)
  r.rsi = r.rdx = r.r10 = r.r8 = 0;
  r.rip = kInjectSyscallAddr;
  parent.set_regs(r);
  parent.cont();
  TaskStop s = parent.wait();
  if (s.kind != TaskStop::Kind::Clone) throw Error("restore: fork of a process: " + s.describe());
  const pid_t pid = static_cast<pid_t>(parent.event_msg());
  parent.cont();
  s = parent.wait();
  if (s.kind != TaskStop::Kind::Signal || s.sig != SIGTRAP)
    throw Error("restore: after the fork of a process: " + s.describe());
  parent.set_regs(saved);
  auto child = std::make_unique<Task>(pid, pid);
  s = child->wait();  // its first stop (SIGSTOP)
  if (s.gone()) throw Error("restore: a forked process ended: " + s.describe());
  child->set_regs(saved);
  return child;
}

RestoredProcess CheckpointRestorer::restore_into(std::unique_ptr<Task> empty,
                                                 const CheckpointManifest& m,
                                                 const RestoreOptions& opt) {
  Clock::time_point t0 = Clock::now();
  if (m.threads.empty())
    throw Error("restore: checkpoint " + std::to_string(m.id) + " has no threads");
  auto pages = PageStore::open(dir_ / "pages", false);
  // Every stored page is checked against its hash first: a damaged pack makes the checkpoint
  // unusable (TraceError: the caller tries an earlier one), never a different process.
  Clock::time_point tv = Clock::now();
  std::vector<std::pair<PageRef, size_t>> runs;
  for (const SavedRegion& r : m.regions)
    for (const PageRun& run : r.runs) runs.emplace_back(run.ref, run.npages);
  pages->verify_all(runs);
  const double verify_ms = std::chrono::duration<double, std::milli>(Clock::now() - tv).count();
  RestoredProcess out;
  out.task = empty ? std::move(empty) : start_empty(opt);
  Task& t = *out.task;
  try {
    Rebuilder rb(t, m, *pages, opt);
    rb.run();
    out.threads = rb.take_threads();
  } catch (...) {
    kill(t.tgid(), SIGKILL);
    t.wait();
    throw;
  }
  out.manifest = m;
  out.restore_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  out.verify_ms = verify_ms;
  return out;
}

}  // namespace ckrr
