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

bool DirtyTracker::can_defer() {
  int fd = ::open("/sys/kernel/mm/ksm/run", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // no KSM in this kernel
  char c = '0';
  const bool ok = ::read(fd, &c, 1) == 1 && c == '0';
  ::close(fd);
  return ok;
}

void DirtyTracker::protect_deferred() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (deferred_.empty()) return;
  std::string pm = "/proc/" + std::to_string(pid_) + "/pagemap";
  const int pagemap_fd = ::open(pm.c_str(), O_RDONLY | O_CLOEXEC);
  std::vector<uint64_t> entries(4096);
  for (const auto& [start, end] : deferred_) {
    // Protect first, then look: a page written before the protection was copied on write
    // (exclusive now); one written after has lost its protection (the next scan sees it);
    // one written in between is counted twice, which is harmless.
    uffdio_writeprotect wp{};
    wp.range.start = start;
    wp.range.len = end - start;
    wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
    if (pagemap_fd < 0 || ioctl(uffd_, UFFDIO_WRITEPROTECT, &wp) != 0) continue;
    bool ok = true;
    std::vector<std::pair<uint64_t, uint64_t>> written;
    for (uint64_t at = start; at < end && ok;) {
      const uint64_t n = std::min<uint64_t>(entries.size(), (end - at) / kPage);
      ok = pread(pagemap_fd, entries.data(), n * 8, static_cast<off_t>(at / kPage * 8)) ==
           static_cast<ssize_t>(n * 8);
      for (uint64_t i = 0; ok && i < n; ++i) {
        constexpr uint64_t kPresent = 1ull << 63, kExclusive = 1ull << 56;
        if ((entries[i] & kPresent) && (entries[i] & kExclusive)) {
          const uint64_t a = at + i * kPage;
          if (!written.empty() && written.back().second == a)
            written.back().second = a + kPage;
          else
            written.emplace_back(a, a + kPage);
        }
      }
      at += n * kPage;
    }
    if (!ok) continue;  // untracked: read in full next time
    carried_.insert(carried_.end(), written.begin(), written.end());
    protected_.emplace_back(start, end);
  }
  std::sort(protected_.begin(), protected_.end());
  deferred_.clear();
  if (pagemap_fd >= 0) ::close(pagemap_fd);
}

}  // namespace ckrr
