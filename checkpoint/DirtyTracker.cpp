#include "checkpoint/DirtyTracker.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "core/Error.h"
#include "core/RemoteSyscall.h"

namespace ckrr {

namespace {

// From the kernel's UAPI (linux/fs.h, 6.7; linux/userfaultfd.h, 6.7), missing from the
// installed headers.
constexpr uint64_t kPageIsWritten = 1 << 1;
constexpr uint64_t kScanWpMatching = 1 << 0, kScanCheckWpAsync = 1 << 1;
struct PageRegion {
  uint64_t start, end, categories;
};
struct PmScanArg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted,
      category_mask, category_anyof_mask, return_mask;
};
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PmScanArg);
constexpr uint64_t kFeatureWpAsync = 1 << 15;
constexpr int kUserModeOnly = 1;
constexpr uint64_t kPage = 4096;

bool inside(const std::vector<std::pair<uint64_t, uint64_t>>& ranges, uint64_t s, uint64_t e) {
  for (const auto& [a, b] : ranges)
    if (a <= s && e <= b) return true;
  return false;
}

}  // namespace

bool is_private_anon(const Mapping& m) {
  if (m.shared) return false;
  return m.path.empty() || m.path == "[heap]" || m.path == "[stack]" ||
         m.path.rfind("[anon:", 0) == 0;
}

bool DirtyScan::was_written(uint64_t addr) const {
  auto it = std::upper_bound(written.begin(), written.end(), std::make_pair(addr, UINT64_MAX));
  if (it == written.begin()) return false;
  --it;
  return addr >= it->first && addr < it->second;
}

DirtyTracker::DirtyTracker(Task& t) : pid_(t.tgid()) {
  long fd = remote_syscall(t, SYS_userfaultfd, {O_CLOEXEC | O_NONBLOCK | kUserModeOnly});
  if (fd < 0) throw Error(errno_text("dirty tracking: userfaultfd", static_cast<int>(-fd)));
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    uffd_ = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, static_cast<int>(fd), 0));
    ::close(pidfd);
  }
  const int err = errno;
  remote_syscall(t, SYS_close, {static_cast<uint64_t>(fd)});  // the app's fds stay as they were
  if (uffd_ < 0) throw Error(errno_text("dirty tracking: pidfd_getfd", err));
  uffdio_api api{};
  api.api = UFFD_API;
  // Not WP_UNPOPULATED: a page first touched later is not protected, so it counts as written
  // (the caller reads it), and protecting costs nothing for untouched memory.
  api.features = kFeatureWpAsync;
  if (ioctl(uffd_, UFFDIO_API, &api) != 0) {
    ::close(uffd_);
    uffd_ = -1;
    throw Error(errno_text("dirty tracking: UFFD_FEATURE_WP_ASYNC", errno));
  }
}

DirtyTracker::~DirtyTracker() {
  if (uffd_ >= 0) ::close(uffd_);
}

DirtyScan DirtyTracker::scan(pid_t pid, const std::vector<Mapping>& maps, bool defer) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pid != pid_) throw Error("dirty tracking: another process");
  // Opened now: the address space the process has now (after an exec, or for another process
  // with the same pid, none of its mappings is registered, which the scan finds).
  std::string pm = "/proc/" + std::to_string(pid_) + "/pagemap";
  const int pagemap_fd = ::open(pm.c_str(), O_RDONLY | O_CLOEXEC);
  if (pagemap_fd < 0) throw Error(errno_text("dirty tracking: " + pm, errno));
  try {
    return scan_with(pagemap_fd, maps, defer);
  } catch (...) {
    ::close(pagemap_fd);
    throw;
  }
}

DirtyScan DirtyTracker::scan_with(int pagemap_fd, const std::vector<Mapping>& maps, bool defer) {
  DirtyScan out;
  // Deferred by the scan before and never protected (its publish failed): untracked.
  deferred_.clear();
  std::vector<std::pair<uint64_t, uint64_t>> carried;
  carried.swap(carried_);
  std::vector<std::pair<uint64_t, uint64_t>> now;
  std::vector<PageRegion> vec(1024);
  for (const Mapping& m : maps) {
    if (!is_private_anon(m)) continue;
    bool tracked = inside(protected_, m.start, m.end);
    if (tracked) {
      // Written pages of the mapping, write-protected again by the same walk; refused (EPERM)
      // when the mapping is not registered with async write-protection any more.
      std::vector<std::pair<uint64_t, uint64_t>> written;
      uint64_t at = m.start;
      while (tracked && at < m.end) {
        PmScanArg a{};
        a.size = sizeof a;
        a.flags = kScanWpMatching | kScanCheckWpAsync;
        a.start = at;
        a.end = m.end;
        a.vec = reinterpret_cast<uint64_t>(vec.data());
        a.vec_len = vec.size();
        a.category_mask = kPageIsWritten;
        a.return_mask = kPageIsWritten;
        long n = ioctl(pagemap_fd, kPagemapScan, &a);
        if (n < 0) {
          if (errno != EPERM) throw Error(errno_text("dirty tracking: PAGEMAP_SCAN", errno));
          tracked = false;
          break;
        }
        for (long i = 0; i < n; ++i) written.emplace_back(vec[i].start, vec[i].end);
        if (a.walk_end <= at) throw Error("dirty tracking: PAGEMAP_SCAN made no progress");
        at = a.walk_end;
      }
      if (tracked) {
        // Written between the scan before and its deferred protection.
        for (const auto& [a, b] : carried)
          if (a < m.end && m.start < b)
            written.emplace_back(std::max(a, m.start), std::min(b, m.end));
        out.tracked[m.start] = m.end;
        out.written.insert(out.written.end(), written.begin(), written.end());
        now.emplace_back(m.start, m.end);
        continue;
      }
    }
    // Not tracked since the previous scan: register and protect it for the next one.
    uffdio_register reg{};
    reg.range.start = m.start;
    reg.range.len = m.end - m.start;
    reg.mode = UFFDIO_REGISTER_MODE_WP;
    if (ioctl(uffd_, UFFDIO_REGISTER, &reg) != 0) {
      if (errno == ESRCH) throw Error("dirty tracking: the address space is gone (exec)");
      continue;  // EINVAL, EBUSY (the app's own userfaultfd): read in full every time
    }
    if (defer) {
      deferred_.emplace_back(m.start, m.end);
      continue;
    }
    uffdio_writeprotect wp{};
    wp.range.start = m.start;
    wp.range.len = m.end - m.start;
    wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
    if (ioctl(uffd_, UFFDIO_WRITEPROTECT, &wp) != 0) continue;
    now.emplace_back(m.start, m.end);
  }
  // Sorted and merged (carried ranges may overlap scanned ones): was_written looks at the one
  // range starting at or before addr.
  std::sort(out.written.begin(), out.written.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto& w : out.written)
    if (!merged.empty() && w.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, w.second);
    else
      merged.push_back(w);
  out.written = std::move(merged);
  for (const auto& w : out.written) out.written_pages += (w.second - w.first) / kPage;
  protected_ = std::move(now);
  ::close(pagemap_fd);
  return out;
}

namespace {

constexpr uint64_t kPmPresent = 1ull << 63, kPmPfn = (1ull << 55) - 1;

}  // namespace

bool DirtyTracker::can_defer() {
  // Page frame numbers in pagemap (CAP_SYS_ADMIN): a page of ours that is surely present.
  static const bool ok = [] {
    static volatile uint64_t probe = 1;
    probe = probe + 1;
    const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    uint64_t e = 0;
    const auto at = reinterpret_cast<uintptr_t>(&probe) / kPage * 8;
    const bool got = pread(fd, &e, 8, static_cast<off_t>(at)) == 8;
    ::close(fd);
    return got && (e & kPmPresent) && (e & kPmPfn) != 0;
  }();
  return ok;
}

void DirtyTracker::protect_deferred(pid_t snapshot) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (deferred_.empty()) return;
  auto open_pagemap = [](pid_t pid) {
    return pid > 0
               ? ::open(("/proc/" + std::to_string(pid) + "/pagemap").c_str(), O_RDONLY | O_CLOEXEC)
               : -1;
  };
  const int app_fd = open_pagemap(pid_), snap_fd = open_pagemap(snapshot);
  std::vector<uint64_t> app(4096), snap(4096);
  for (const auto& [start, end] : deferred_) {
    // Protect first, then compare: a page the app changed since the snapshot before the
    // protection (written: copied on write; dropped and read again: the zero page; dropped
    // and written: a new page) is no longer the snapshot's page frame; one written after has
    // lost its protection (the next scan sees it); one written in between counts twice.
    uffdio_writeprotect wp{};
    wp.range.start = start;
    wp.range.len = end - start;
    wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
    if (app_fd < 0 || ioctl(uffd_, UFFDIO_WRITEPROTECT, &wp) != 0) continue;
    bool ok = true;
    std::vector<std::pair<uint64_t, uint64_t>> written;
    for (uint64_t at = start; at < end && ok;) {
      const uint64_t n = std::min<uint64_t>(app.size(), (end - at) / kPage);
      const off_t off = static_cast<off_t>(at / kPage * 8);
      const ssize_t want = static_cast<ssize_t>(n * 8);
      ok = pread(app_fd, app.data(), n * 8, off) == want;
      // Without the snapshot's frames every present page counts as written.
      if (ok && !(snap_fd >= 0 && pread(snap_fd, snap.data(), n * 8, off) == want))
        std::fill(snap.begin(), snap.begin() + static_cast<long>(n), 0);
      for (uint64_t i = 0; ok && i < n; ++i) {
        if (!(app[i] & kPmPresent)) continue;  // reads as zero: the capture checks presence
        const uint64_t pfn = app[i] & kPmPfn;
        if (pfn != 0 && (snap[i] & kPmPresent) && (snap[i] & kPmPfn) == pfn) continue;
        const uint64_t a = at + i * kPage;
        if (!written.empty() && written.back().second == a)
          written.back().second = a + kPage;
        else
          written.emplace_back(a, a + kPage);
      }
      at += n * kPage;
    }
    if (!ok) continue;  // untracked: read in full next time
    carried_.insert(carried_.end(), written.begin(), written.end());
    protected_.emplace_back(start, end);
  }
  std::sort(protected_.begin(), protected_.end());
  deferred_.clear();
  if (app_fd >= 0) ::close(app_fd);
  if (snap_fd >= 0) ::close(snap_fd);
}

}  // namespace ckrr
