#include "checkpoint/CheckpointWriter.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "checkpoint/LazyPages.h"
#include "checkpoint/ProcFiles.h"
#include "core/Error.h"
#include "core/MemoryMap.h"
#include "core/RemoteSyscall.h"
#include "core/SignalsHeld.h"
#include "storage/AtomicFile.h"
#include "storage/FdIo.h"

namespace ckrr {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Memory is read from the process in chunks of this many pages.
constexpr size_t kChunkPages = 256;
constexpr uint64_t kPagemapPresent = 1ull << 63, kPagemapSwapped = 1ull << 62;

SavedRegion::Kind kind_of(const Mapping& m) {
  if (m.path == "[vdso]") return SavedRegion::Kind::Vdso;
  if (m.path.rfind("[vvar", 0) == 0) return SavedRegion::Kind::Vvar;  // [vvar], [vvar_vclock]
  if (m.path == "[vsyscall]") return SavedRegion::Kind::Vsyscall;
  if (m.start == kScratchPageAddr && m.end == kScratchPageAddr + kScratchPageSize)
    return SavedRegion::Kind::Scratch;
  return SavedRegion::Kind::Memory;
}

void append_run(std::vector<PageRun>& runs, uint64_t page, const PageRef& ref) {
  if (!runs.empty()) {
    PageRun& last = runs.back();
    bool contiguous = last.first + last.npages == page &&
                      (ref.zero() ? last.ref.zero()
                                  : last.ref.pack == ref.pack &&
                                        last.ref.offset + last.npages * kPageSize == ref.offset);
    if (contiguous) {
      ++last.npages;
      return;
    }
  }
  runs.push_back(PageRun{page, 1, ref});
}

}  // namespace

std::string CheckpointStats::timing_text() const {
  char b[512];
  snprintf(b, sizeof b,
           "pause_ms=%.1f publish_ms=%.1f read_ms=%.1f hash_ms=%.1f write_ms=%.1f sync_ms=%.1f "
           "pages_saved=%llu pages_new=%llu pages_read=%llu pages_written=%llu "
           "held_state_ms=%.1f held_scan_ms=%.1f held_fork_ms=%.1f",
           pause_ms, publish_ms, read_ms, hash_ms, write_ms, sync_ms,
           static_cast<unsigned long long>(pages_saved), static_cast<unsigned long long>(pages_new),
           static_cast<unsigned long long>(pages_read),
           static_cast<unsigned long long>(pages_written), state_ms, scan_ms, fork_ms);
  return b;
}

CheckpointWriter::CheckpointWriter(const fs::path& checkpoints_dir) : dir_(checkpoints_dir) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error("cannot create " + dir_.string() + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  for (const auto& e : fs::directory_iterator(dir_)) {
    std::string name = e.path().filename().string();
    if (name.rfind("tmp-", 0) == 0) {
      fs::remove_all(e.path(), ec);
    } else if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
      next_id_ = std::max<uint32_t>(next_id_, static_cast<uint32_t>(std::stoul(name)) + 1);
    }
  }
  pages_ = PageStore::open(dir_ / "pages", true);
  buf_.resize(kChunkPages * kPageSize);
  const char* off = getenv("CKRR_NO_DIRTY_TRACKING");
  track_dirty_ = !(off && *off && strcmp(off, "0") != 0);
}

CheckpointWriter::~CheckpointWriter() {
  abandon();
}

void CheckpointWriter::capture(Task& t, const CheckpointRequest& req) {
  Clock::time_point t0 = Clock::now();
  Pending p;
  CheckpointManifest& m = p.m;
  m.id = next_id_;
  m.seq = req.seq;
  m.time_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  m.blobs = req.blobs;

  // Signals wait (pending) until the thread runs again: one that came in the middle of an
  // injected call would fail the capture (a fast POSIX timer's often did).
  SignalsHeld held(t);
  SavedThread th;
  th.tid = t.tid();
  th.regs = t.regs();
  th.xstate = t.xstate();
  // Kernel state only the process can report: ask it through injected syscalls. Their
  // results land in the scratch page, writable only meanwhile (the app's own memory stays
  // untouched, so state digests do not depend on where checkpoints were taken).
  remote_syscall_checked(t, "mprotect of the scratch page", SYS_mprotect,
                         {kScratchPageAddr, kScratchPageSize, PROT_READ | PROT_WRITE | PROT_EXEC});
  m.mm.brk = static_cast<uint64_t>(remote_syscall(t, SYS_brk, {0}));
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (remote_syscall(t, SYS_rt_sigaction, {uint64_t(sig), 0, kScratchDataAddr, 8}) == 0)
      t.read(kScratchDataAddr, &m.sigactions[sig - 1], sizeof(KernelSigaction));
  }
  if (held.held()) {
    th.sigmask = held.mask();
  } else {
    remote_syscall_checked(t, "rt_sigprocmask", SYS_rt_sigprocmask,
                           {SIG_BLOCK, 0, kScratchDataAddr, 8});
    th.sigmask = t.read_val<uint64_t>(kScratchDataAddr);
  }
  remote_syscall_checked(t, "sigaltstack", SYS_sigaltstack, {0, kScratchDataAddr});
  stack_t ss;
  t.read(kScratchDataAddr, &ss, sizeof ss);
  th.altstack_sp = reinterpret_cast<uint64_t>(ss.ss_sp);
  th.altstack_flags = ss.ss_flags;
  th.altstack_size = ss.ss_size;
  if (remote_syscall(t, SYS_get_robust_list, {0, kScratchDataAddr, kScratchDataAddr + 8}) == 0) {
    th.robust_list = t.read_val<uint64_t>(kScratchDataAddr);
    th.robust_list_len = t.read_val<uint64_t>(kScratchDataAddr + 8);
  }
  remote_syscall_checked(t, "mprotect of the scratch page", SYS_mprotect,
                         {kScratchPageAddr, kScratchPageSize, PROT_READ | PROT_EXEC});
  th.clear_child_tid = req.clear_child_tid;
  m.threads.push_back(std::move(th));
  for (const SavedThread& o : req.other_threads) m.threads.push_back(o);
  read_proc_files(t.tgid(), m);
  p.stats.state_ms = ms_since(t0);

  Clock::time_point ts = Clock::now();
  if (track_dirty_) {
    // What was written since the last checkpoint of this process, at the instant of the
    // snapshot (the app is held), and protected again for the next one.
    Tracking& tr = tracking_[t.tgid()];
    try {
      std::vector<Mapping> maps;
      for (const Mapping& map : read_memory_map(t.tgid()))
        if (kind_of(map) == SavedRegion::Kind::Memory) maps.push_back(map);
      if (!tr.tracker) tr.tracker = std::make_shared<DirtyTracker>(t);
      // With a snapshot to come, new mappings are protected after the app resumes.
      const bool defer = ProcessSnapshot::possible(t.tgid()) && DirtyTracker::can_defer();
      p.dirty = tr.tracker->scan(t.tgid(), maps, defer);
      if (defer) p.protect_later = tr.tracker;
    } catch (const Error&) {
      tr.tracker.reset();  // read in full; a new tracker next time (after an exec, say)
      p.dirty = DirtyScan{};
    }
    p.base = tr.last;
    p.self = std::make_shared<Base>();
    tr.last = p.self;
    p.stats.pages_written = p.dirty.written_pages;
  }

  p.stats.id = m.id;
  p.stats.path = "checkpoints/" + std::to_string(m.id);
  if (FILE* f = fopen(("/proc/" + std::to_string(t.tgid()) + "/statm").c_str(), "re")) {
    unsigned long long size = 0, resident = 0;
    if (fscanf(f, "%llu %llu", &size, &resident) == 2) p.resident = resident * kPageSize;
    fclose(f);
  }
  p.stats.scan_ms = ms_since(ts);
  Clock::time_point tf = Clock::now();
  try {
    p.snapshot = std::make_unique<ProcessSnapshot>(t);
    // Shared memory is not copied on write: the snapshot would see what the app (or another
    // process) writes after it resumes. Read it now.
    for (const Mapping& map : read_memory_map(t.tgid()))
      if (map.shared && map.write && kind_of(map) == SavedRegion::Kind::Memory) {
        std::vector<uint8_t>& bytes = p.shared_now[map.start];
        bytes.resize(map.end - map.start);
        for (uint64_t off = 0; off < bytes.size(); off += kPageSize)
          if (!t.try_read(map.start + off, bytes.data() + off, kPageSize))
            memset(bytes.data() + off, 0, kPageSize);
      }
  } catch (const Error& e) {
    p.snapshot.reset();
    p.shared_now.clear();
    if (p.protect_later) p.protect_later->protect_deferred(0);  // no snapshot to compare
    p.protect_later.reset();
    if (store_busy_)
      throw Error(std::string(e.what()) +
                  "; its memory cannot be read while the app waits now:"
                  " another checkpoint is being published");
    store_memory(t, p);  // no copy-on-write snapshot: read the memory while the app waits
  }
  p.stats.fork_ms = ms_since(tf);
  p.stats.pause_ms = ms_since(t0);
  batch_.push_back(std::move(p));
  next_id_ = m.id + 1;
}

void CheckpointWriter::store_memory(Task& t, Pending& p) {
  // One pack for the batch: begun by its first checkpoint, committed by publish_batch().
  if (!pages_->writing()) pages_->begin();
  capture_memory(t, p);
  p.stats.rss = p.stats.pages_saved * kPageSize;
  p.m.rss = p.stats.rss;
}

void CheckpointWriter::capture_memory(Task& t, Pending& p) {
  // pagemap tells zero pages below: a lazily restored process must have all its pages first.
  LazyPages::wait_all();
  CheckpointManifest& m = p.m;
  std::string pm = "/proc/" + std::to_string(t.tgid()) + "/pagemap";
  int pagemap_fd = ::open(pm.c_str(), O_RDONLY | O_CLOEXEC);
  try {
    for (const Mapping& map : read_memory_map(t.tgid())) {
      SavedRegion r;
      r.start = map.start;
      r.end = map.end;
      r.read = map.read;
      r.write = map.write;
      r.exec = map.exec;
      r.shared = map.shared;
      r.offset = map.offset;
      r.inode = map.inode;
      r.path = map.path;
      r.kind = kind_of(map);
      if (r.kind == SavedRegion::Kind::Memory || r.kind == SavedRegion::Kind::Vdso)
        capture_region(t, pagemap_fd, r, is_private_anon(map) && pagemap_fd >= 0, p);
      m.regions.push_back(std::move(r));
    }
  } catch (...) {
    if (pagemap_fd >= 0) ::close(pagemap_fd);
    throw;
  }
  if (pagemap_fd >= 0) ::close(pagemap_fd);
}

void CheckpointWriter::capture_region(Task& t, int pagemap_fd, SavedRegion& r, bool anon,
                                      Pending& p) {
  CheckpointStats& stats = p.stats;
  const uint64_t pages = r.pages();
  // Pages of the checkpoint before, when this mapping was tracked since then with the same
  // bounds and that checkpoint was published.
  std::vector<PageRef> reuse;
  auto tracked = p.dirty.tracked.find(r.start);
  if (anon && tracked != p.dirty.tracked.end() && tracked->second == r.end && p.base &&
      p.base->ok) {
    auto before = p.base->regions.find(r.start);
    if (before != p.base->regions.end() && before->second.end == r.end) {
      reuse.resize(pages);
      for (const PageRun& run : before->second.runs)
        for (uint64_t k = 0; k < run.npages && run.first + k < pages; ++k)
          reuse[run.first + k] =
              run.ref.zero() ? PageRef{} : PageRef{run.ref.pack, run.ref.offset + k * kPageSize};
    }
  }
  std::vector<uint64_t> pm(kChunkPages);
  for (uint64_t base = 0; base < pages; base += kChunkPages) {
    const uint64_t n = std::min<uint64_t>(kChunkPages, pages - base);
    const uint64_t addr = r.start + base * kPageSize;
    // Which pages hold data: all of them unless pagemap says an anonymous page was never
    // touched.
    std::vector<bool> present(n, true);
    if (anon) {
      ssize_t got =
          pread_all(pagemap_fd, pm.data(), n * 8, static_cast<off_t>(addr / kPageSize * 8));
      if (got == static_cast<ssize_t>(n * 8))
        for (uint64_t i = 0; i < n; ++i)
          present[i] = (pm[i] & (kPagemapPresent | kPagemapSwapped)) != 0;
    }
    // Read each run of present pages in one go; a run that cannot be read as a whole (a file
    // mapping past the end of its file) is retried page by page, unreadable pages being zero.
    for (uint64_t i = 0; i < n;) {
      if (!present[i]) {
        append_run(r.runs, base + i, PageRef{});
        ++i;
        continue;
      }
      if (!reuse.empty() && !p.dirty.was_written(addr + i * kPageSize)) {
        // Unchanged since the checkpoint before: its page, not read again.
        const PageRef& ref = reuse[base + i];
        if (!ref.zero()) ++stats.pages_saved;
        append_run(r.runs, base + i, ref);
        ++i;
        continue;
      }
      uint64_t j = i;
      while (j < n && present[j] && (reuse.empty() || p.dirty.was_written(addr + j * kPageSize)))
        ++j;
      stats.pages_read += j - i;
      Clock::time_point tr = Clock::now();
      uint8_t* dst = buf_.data() + i * kPageSize;
      auto early = r.shared ? p.shared_now.find(r.start) : p.shared_now.end();
      if (early != p.shared_now.end() && early->second.size() == r.end - r.start)
        memcpy(dst, early->second.data() + (base + i) * kPageSize, (j - i) * kPageSize);
      else if (!t.try_read(addr + i * kPageSize, dst, (j - i) * kPageSize))
        for (uint64_t k = i; k < j; ++k)
          if (!t.try_read(addr + k * kPageSize, buf_.data() + k * kPageSize, kPageSize))
            memset(buf_.data() + k * kPageSize, 0, kPageSize);
      Clock::time_point th = Clock::now();
      stats.read_ms += std::chrono::duration<double, std::milli>(th - tr).count();
      const double write_before = pages_->write_ms();
      for (uint64_t k = i; k < j; ++k) {
        const uint8_t* page = buf_.data() + k * kPageSize;
        PageRef ref;
        if (!page_is_zero(page)) {
          uint64_t before = pages_->pack_bytes();
          ref = pages_->add(page);
          ++stats.pages_saved;
          if (pages_->pack_bytes() != before) ++stats.pages_new;
        }
        append_run(r.runs, base + k, ref);
      }
      stats.write_ms += pages_->write_ms() - write_before;
      stats.hash_ms += ms_since(th) - (pages_->write_ms() - write_before);
      i = j;
    }
  }
}

std::vector<CheckpointWriter::Captured> CheckpointWriter::take_batch() {
  std::vector<Captured> b = std::move(batch_);
  batch_.clear();
  return b;
}

std::vector<CheckpointStats> CheckpointWriter::publish_batch(std::vector<Captured> batch) {
  if (batch.empty()) throw Error("no captured checkpoint to publish");
  std::vector<CheckpointStats> out;
  fs::path tmp;
  try {
    for (Pending& p : batch)
      if (p.protect_later) {
        p.protect_later->protect_deferred(p.snapshot ? p.snapshot->task().tgid() : 0);
        p.protect_later.reset();
      }
    for (Pending& p : batch) {
      if (!p.snapshot) continue;
      Clock::time_point t0 = Clock::now();
      store_memory(p.snapshot->task(), p);
      // A copy killed while it was read (a signal to the whole process group) read as holes,
      // which would be saved as zeros: such a checkpoint is not kept.
      if (!p.snapshot->alive()) throw Error("the snapshot ended while its memory was read");
      p.stats.publish_ms += ms_since(t0);
      p.shared_now.clear();
    }
    Clock::time_point ts = Clock::now();
    const double write_before = pages_->write_ms();
    if (pages_->writing()) pages_->commit();
    const double write_ms = pages_->write_ms() - write_before;
    const double commit_ms = ms_since(ts);
    for (Pending& p : batch) {
      Clock::time_point t0 = Clock::now();
      CheckpointManifest& m = p.m;
      m.bytes_added = p.stats.pages_new * kPageSize;
      std::vector<uint8_t> bytes = m.serialize();
      m.bytes_added += bytes.size();
      bytes = m.serialize();  // again, with its own size counted
      tmp = dir_ / ("tmp-" + std::to_string(m.id));
      fs::path final_dir = dir_ / std::to_string(m.id);
      std::error_code ec;
      fs::remove_all(tmp, ec);
      if (::mkdir(tmp.c_str(), 0700) != 0) throw Error(errno_text("mkdir " + tmp.string(), errno));
      write_file_atomically(tmp / "manifest", bytes);
      if (::rename(tmp.c_str(), final_dir.c_str()) != 0)
        throw Error(errno_text("rename " + tmp.string() + " to " + final_dir.string(), errno));
      tmp.clear();
      fsync_directory(dir_);
      // The pack is shared by the batch: its write and sync are counted to each checkpoint.
      p.stats.write_ms += write_ms;
      p.stats.sync_ms = commit_ms - write_ms + ms_since(t0);
      p.stats.publish_ms += commit_ms + ms_since(t0);
      p.stats.bytes_added = m.bytes_added;
      out.push_back(p.stats);
    }
  } catch (...) {
    pages_->abort();
    if (!tmp.empty()) {
      std::error_code ec;
      fs::remove_all(tmp, ec);
    }
    std::lock_guard<std::mutex> lock(used_mutex_);
    for (Pending& p : batch)
      if (p.snapshot) used_snapshots_.push_back(std::move(p.snapshot));
    throw;
  }
  // Published: what the next checkpoint of each process may reuse.
  for (Pending& p : batch)
    if (p.self) {
      for (const SavedRegion& r : p.m.regions) p.self->regions.emplace(r.start, r);
      p.self->ok = true;
    }
  std::lock_guard<std::mutex> lock(used_mutex_);
  for (Pending& p : batch)
    if (p.snapshot) used_snapshots_.push_back(std::move(p.snapshot));
  return out;
}

void CheckpointWriter::release_snapshots() {
  std::vector<std::unique_ptr<ProcessSnapshot>> done;
  {
    std::lock_guard<std::mutex> lock(used_mutex_);
    done.swap(used_snapshots_);
  }
}

CheckpointStats CheckpointWriter::publish() {
  std::vector<CheckpointStats> st;
  try {
    st = publish_batch(take_batch());
  } catch (...) {
    release_snapshots();
    throw;
  }
  release_snapshots();
  return st.back();
}

void CheckpointWriter::abandon() {
  if (!batch_.empty()) next_id_ = batch_.front().m.id;
  batch_.clear();
  if (!store_busy_) pages_->abort();  // else the pack is the publishing thread's
  release_snapshots();
}

}  // namespace ckrr
