#pragma once
// Which pages of a traced process were written since its last checkpoint, so an incremental
// checkpoint reads and hashes only those (issue 12). This kernel has no soft-dirty bits; it
// has userfaultfd write-protection with UFFD_FEATURE_WP_ASYNC (a write to a protected page,
// by the app or by the kernel on its behalf, read() into a buffer, just clears the
// protection) and the PAGEMAP_SCAN ioctl, which reports the pages written since and protects
// them again in one walk.
//
// The userfaultfd is created inside the process (an injected syscall), taken over with
// pidfd_getfd and closed there at once, so the app's fd table is as before. Only private
// anonymous mappings are tracked. A mapping counts as tracked only if it lies inside a range
// write-protected at the previous scan and the scan still finds it registered (checked by the
// kernel: PM_SCAN_CHECK_WPASYNC); anything else (a new mapping, one moved by mremap, which
// drops the registration, a child after fork, a process after exec) is reported untracked,
// read in full by the caller, and registered now. Pages that are not present (never touched,
// or dropped by MADV_DONTNEED) are zero whatever this says: the caller checks presence.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "core/MemoryMap.h"
#include "core/Task.h"

namespace ckrr {

struct DirtyScan {
  // Tracked mappings (start -> end): their pages not listed in `written` are unchanged since
  // the previous scan.
  std::map<uint64_t, uint64_t> tracked;
  std::vector<std::pair<uint64_t, uint64_t>> written;  // [start, end), sorted
  uint64_t written_pages = 0;
  // Whether page addr of a tracked mapping was written (written is sorted).
  bool was_written(uint64_t addr) const;
};

class DirtyTracker {
 public:
  // For the process of t: held, outside a syscall, scratch page mapped. Throws Error when the
  // kernel lacks what is needed (the caller then reads everything).
  explicit DirtyTracker(Task& t);
  ~DirtyTracker();
  DirtyTracker(const DirtyTracker&) = delete;
  DirtyTracker& operator=(const DirtyTracker&) = delete;

  // At a checkpoint, the process held: what was written since the previous scan in the
  // tracked mappings, which are protected again; untracked private anonymous mappings are
  // registered and protected for the next one. Throws Error (e.g. after an exec: the
  // userfaultfd belongs to the old address space).
  //
  // defer: the untracked mappings are only registered now; protect_deferred() protects them
  // later, after the app has resumed (write-protecting every present page of a new 1 GB
  // mapping costs ~25 ms here, all of it while the app was held). Only when a copy-on-write
  // snapshot taken right after this scan is alive until then: a page the app changed in
  // between (written, dropped, dropped and read again) is no longer the snapshot's page frame
  // (pagemap), and is reported written by the next scan.
  DirtyScan scan(pid_t pid, const std::vector<Mapping>& maps, bool defer = false);
  // Protects what the last scan deferred (any thread; the app may run), comparing page frames
  // with those of the snapshot process (0: none, every present page counts as written). Errors
  // leave those mappings untracked (read in full next time).
  void protect_deferred(pid_t snapshot);
  // Whether deferring can work here: pagemap shows page frame numbers (CAP_SYS_ADMIN).
  static bool can_defer();

 private:
  DirtyScan scan_with(int pagemap_fd, const std::vector<Mapping>& maps, bool defer);
  int uffd_ = -1;
  pid_t pid_ = 0;
  std::mutex mutex_;  // scan (supervisor) and protect_deferred (publishing thread)
  std::vector<std::pair<uint64_t, uint64_t>> protected_;  // registered and protected ranges
  std::vector<std::pair<uint64_t, uint64_t>> deferred_;   // registered, not protected yet
  std::vector<std::pair<uint64_t, uint64_t>> carried_;    // written before protect_deferred
};

// Private anonymous memory (what DirtyTracker tracks, and where pagemap's present bit tells a
// page that reads as zero).
bool is_private_anon(const Mapping& m);

}  // namespace ckrr
