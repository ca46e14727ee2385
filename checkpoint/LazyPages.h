#pragma once
// Lazy restore of anonymous memory (issue 12): the restored process starts at once with its
// private anonymous mappings empty and registered with a userfaultfd (MISSING mode); a thread
// of ckrr copies the checkpoint's pages in (UFFDIO_COPY from the packs mapped here), pages the
// process faults on first, the rest in the background, then closes the userfaultfd. The memory
// stays real anonymous memory (a MADV_DONTNEED reads zeros, as in the original), and what the
// process does meanwhile is followed by the kernel's non-cooperative events:
//   - MADV_DONTNEED / MADV_REMOVE / MADV_FREE, munmap (also under mmap MAP_FIXED, brk, mremap
//     shrinking): those pages are no longer filled (zeros, like the original);
//   - mremap moving pages: their pending contents move with them;
//   - fork (also ckrr's own copy-on-write snapshots): the child gets its own userfaultfd from
//     the kernel and is filled from the same pending pages;
// a fault on a page that holds no stored content (a zero page, one dropped, a mapping grown
// in place) gets a zero page.
//
// Only where the kernel lets the process have a userfaultfd that handles kernel faults too
// (CAP_SYS_PTRACE or vm.unprivileged_userfaultfd=1) and ckrr may ask for fork events
// (CAP_SYS_PTRACE): otherwise open() returns nullptr and the restorer copies the pages in.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/Task.h"
#include "storage/PageStore.h"

namespace ckrr {

class LazyPages {
 public:
  // A userfaultfd of t's process, or nullptr when the kernel refuses one that can do this
  // (or env CKRR_RESTORE=eager asks for copying).
  static std::unique_ptr<LazyPages> open(Task& t);
  ~LazyPages();  // before start(): closes the userfaultfd (nothing registered stays so)
  LazyPages(const LazyPages&) = delete;
  LazyPages& operator=(const LazyPages&) = delete;

  // Registers [start, end) (mapped private anonymous, nothing in it yet); false if the kernel
  // refuses (the caller copies that mapping's pages itself).
  bool add_region(uint64_t start, uint64_t end);
  // The npages stored pages from `from` belong at addr (inside a registered region).
  void add_run(uint64_t addr, const PageRef& from, uint64_t npages);
  // Maps the packs and starts the filling thread, which owns everything from here on and
  // ends when every page is in or the processes are gone. Throws TraceError for a pack that
  // cannot be mapped or is shorter than the runs need.
  static void start(std::unique_ptr<LazyPages> lp, const PageStore& pages);
  // Waits for every filling thread (ckrr's exit does it too).
  static void wait_all();
  // Pages copied in by the fillers since ckrr started, of which on a fault (for the bench).
  static uint64_t pages_filled();
  static uint64_t pages_on_fault();

  struct Filler;

 private:
  explicit LazyPages(int uffd) : uffd_(uffd) {}
  int uffd_;
  pid_t pid_ = 0;
  struct Run {
    uint64_t addr, npages;
    PageRef ref;
  };
  std::vector<Run> runs_;
};

}  // namespace ckrr
