#include "checkpoint/LazyPages.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/Error.h"
#include "core/RemoteSyscall.h"

namespace ckrr {

namespace {

constexpr uint64_t kFeatures = UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP |
                               UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP;
// Pages copied per ioctl: on a fault (the neighbours are likely next), in the background.
constexpr uint64_t kFaultPages = 64, kBackgroundPages = 512;

std::atomic<uint64_t> g_filled{0}, g_on_fault{0};

// Pages still to copy in, by address: [start, end) holds the pages stored from `pack` at
// `offset` onwards.
struct Span {
  uint64_t end;
  uint32_t pack;
  uint64_t offset;
};
using Pending = std::map<uint64_t, Span>;

// Removes [s, e) from p, handing each removed piece (start, span) to `out`.
template <typename Out>
void cut(Pending& p, uint64_t s, uint64_t e, Out out) {
  auto it = p.upper_bound(s);
  if (it != p.begin() && std::prev(it)->second.end > s) --it;
  while (it != p.end() && it->first < e) {
    const uint64_t a = it->first;
    const Span sp = it->second;
    it = p.erase(it);
    if (a < s) p[a] = Span{s, sp.pack, sp.offset};
    if (sp.end > e) p[e] = Span{sp.end, sp.pack, sp.offset + (e - a)};
    const uint64_t ps = std::max(a, s), pe = std::min(sp.end, e);
    out(ps, Span{pe, sp.pack, sp.offset + (ps - a)});
  }
}

}  // namespace

// One thread per restored process; it also serves the process's forked children.
struct LazyPages::Filler {
  struct Ctx {
    int fd;
    Pending pending;
  };
  std::deque<Ctx> ctxs;
  std::map<uint32_t, std::pair<const uint8_t*, size_t>> packs;
  std::thread thread;
  std::atomic<bool> done{false};
  pid_t pid = 0;  // the restored process

  // A page that cannot be put in would read as zero once the userfaultfd is closed: rather
  // than a silently different process, none (the supervisor sees it killed: a divergence).
  void fail(uint64_t addr, int err) {
    fprintf(stderr,
            "ckrr: lazy restore: cannot fill the page at 0x%llx of process %d (%s); killing it\n",
            static_cast<unsigned long long>(addr), pid, strerror(-err));
    ::kill(pid, SIGKILL);
    for (Ctx& c : ctxs) c.pending.clear();
  }

  ~Filler() {
    if (thread.joinable()) thread.join();
    for (Ctx& c : ctxs) ::close(c.fd);
    for (auto& [n, m] : packs) munmap(const_cast<uint8_t*>(m.first), m.second);
  }

  const uint8_t* src(const Span& sp) const { return packs.at(sp.pack).first + sp.offset; }

  // UFFDIO_COPY of `bytes` from the span at addr; returns 0, or -errno (EAGAIN: read events
  // first; ESRCH / ENOENT...: the process or mapping is gone). Pages already there are skipped.
  static int copy(int fd, uint64_t addr, const uint8_t* from, uint64_t bytes) {
    uint64_t done = 0;
    while (done < bytes) {
      uffdio_copy c{};
      c.dst = addr + done;
      c.src = reinterpret_cast<uint64_t>(from + done);
      c.len = bytes - done;
      if (ioctl(fd, UFFDIO_COPY, &c) == 0) return 0;
      const int err = errno;
      if (c.copy > 0) {
        done += static_cast<uint64_t>(c.copy);
        continue;
      }
      if (err == EEXIST) {  // this page is in already (the process faulted on it meanwhile)
        done += kPageSize;
        continue;
      }
      return -err;
    }
    return 0;
  }

  static void wake(int fd, uint64_t addr, uint64_t len) {
    uffdio_range r{addr, len};
    ioctl(fd, UFFDIO_WAKE, &r);
  }

  // A fault at addr: its stored pages (a few from there on), or a zero page. Returns -EAGAIN
  // when events must be read first.
  int serve(Ctx& c, uint64_t addr) {
    addr &= ~(kPageSize - 1);
    Pending::iterator it = c.pending.upper_bound(addr);
    if (it != c.pending.begin() && std::prev(it)->second.end > addr) {
      --it;
      uint64_t e = 0;
      const int r = fill(c, it, addr, kFaultPages, &e);
      if (r == -EAGAIN || (r == -ENOENT && retry_missing_mapping())) return -EAGAIN;
      if (r != 0 && r != -ENOENT && r != -ESRCH) fail(addr, r);
      cut(c.pending, addr, e, [](uint64_t, const Span&) {});
      if (r == 0) {
        missing = false;
        g_filled += (e - addr) / kPageSize;
        g_on_fault += (e - addr) / kPageSize;
      }
      wake(c.fd, addr, e - addr);
      return 0;
    }
    uffdio_zeropage z{};
    z.range = {addr, kPageSize};
    if (ioctl(c.fd, UFFDIO_ZEROPAGE, &z) != 0) {
      if (errno == EAGAIN) return -EAGAIN;
      wake(c.fd, addr, kPageSize);  // already there, or gone: let the thread retry
    }
    return 0;
  }

  // Copies up to max_pages pending pages from addr (inside the span at `it`) on; *end: where
  // it stopped. Spans that follow without a gap are taken too, through a bounce buffer (a
  // checkpoint patched from many packs alternates short runs: one ioctl per run would make
  // filling it several times slower).
  int fill(Ctx& c, Pending::iterator it, uint64_t addr, uint64_t max_pages, uint64_t* end) {
    const uint64_t limit = addr + max_pages * kPageSize;
    uint64_t e = std::min(it->second.end, limit);
    const uint8_t* first = src(it->second) + (addr - it->first);
    auto next = std::next(it);
    if (next == c.pending.end() || next->first != e || e == limit) {
      *end = e;
      return copy(c.fd, addr, first, e - addr);
    }
    bounce.resize(std::max(kFaultPages, kBackgroundPages) * kPageSize);
    memcpy(bounce.data(), first, e - addr);
    for (; next != c.pending.end() && next->first == e && e < limit; ++next) {
      const uint64_t ne = std::min(next->second.end, limit);
      memcpy(bounce.data() + (e - addr), src(next->second), ne - e);
      e = ne;
    }
    *end = e;
    const int r = copy(c.fd, addr, bounce.data(), e - addr);
    if (r != -ENOENT) return r;
    // Neighbouring spans may lie in two mappings (adjacent regions), and one UFFDIO_COPY must
    // stay inside one (ENOENT before anything is copied): the first span alone.
    *end = std::min(it->second.end, limit);
    return copy(c.fd, addr, first, *end - addr);
  }
  std::vector<uint8_t> bounce;

  // ENOENT: no registered mapping there. The kernel looks the mapping up before it checks for
  // an event we have not read (mremap moves it first, then queues UFFD_EVENT_REMAP): read the
  // events and try again, for a while; a mapping gone without any event for 2 s is dropped.
  std::chrono::steady_clock::time_point missing_since{};
  bool missing = false;
  bool retry_missing_mapping() {
    const auto now = std::chrono::steady_clock::now();
    if (!missing) missing = true, missing_since = now;
    return now - missing_since < std::chrono::seconds(2);
  }

  // Reads every message of c: events change what is pending now; faults are queued.
  // Returns false when c's process is gone.
  bool read_events(Ctx& c, std::deque<uint64_t>& faults) {
    uffd_msg msgs[32];
    for (;;) {
      ssize_t n = ::read(c.fd, msgs, sizeof msgs);
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      if (n == 0) return false;
      for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof(uffd_msg)); ++i) {
        const uffd_msg& m = msgs[i];
        if (m.event != UFFD_EVENT_PAGEFAULT) missing = false;
        switch (m.event) {
          case UFFD_EVENT_PAGEFAULT:
            faults.push_back(m.arg.pagefault.address);
            break;
          case UFFD_EVENT_FORK:
            // The child's own userfaultfd: its missing pages are ours as they are now.
            ctxs.push_back(Ctx{static_cast<int>(m.arg.fork.ufd), c.pending});
            break;
          case UFFD_EVENT_REMAP: {
            std::vector<std::pair<uint64_t, Span>> moved;
            const uint64_t from = m.arg.remap.from, to = m.arg.remap.to;
            cut(c.pending, from, from + m.arg.remap.len,
                [&](uint64_t a, const Span& sp) { moved.emplace_back(a, sp); });
            for (auto& [a, sp] : moved)
              c.pending[a - from + to] = Span{sp.end - from + to, sp.pack, sp.offset};
            break;
          }
          case UFFD_EVENT_REMOVE:
          case UFFD_EVENT_UNMAP:
            cut(c.pending, m.arg.remove.start, m.arg.remove.end, [](uint64_t, const Span&) {});
            break;
          default:
            break;
        }
      }
    }
  }

  void run() {
    std::deque<std::deque<uint64_t>> faults;
    while (!ctxs.empty()) {
      faults.resize(ctxs.size());
      bool any_fault = false;
      for (size_t i = 0; i < ctxs.size(); ++i) {
        if (!read_events(ctxs[i], faults[i])) ctxs[i].pending.clear();
        faults.resize(ctxs.size());  // a fork adds one
        any_fault |= !faults[i].empty();
      }
      for (size_t i = 0; i < ctxs.size(); ++i)
        while (!faults[i].empty()) {
          if (serve(ctxs[i], faults[i].front()) == -EAGAIN) break;
          faults[i].pop_front();
        }
      // A context with nothing left: closing it unregisters its mappings, and every later
      // fault there is an ordinary one (a zero page).
      for (size_t i = 0; i < ctxs.size();)
        if (ctxs[i].pending.empty() && faults[i].empty()) {
          ::close(ctxs[i].fd);
          ctxs.erase(ctxs.begin() + static_cast<long>(i));
          faults.erase(faults.begin() + static_cast<long>(i));
        } else {
          ++i;
        }
      if (ctxs.empty()) break;
      // Some background filling, the first context first, then look at the messages again.
      Ctx& c = ctxs.front();
      if (!c.pending.empty() && !any_fault) {
        auto it = c.pending.begin();
        const uint64_t a = it->first;
        uint64_t e = 0;
        const int r = fill(c, it, a, kBackgroundPages, &e);
        if (r == -EAGAIN) continue;
        if (r == -ENOENT && retry_missing_mapping()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        if (r != 0) {
          // ESRCH: the process is gone; ENOENT: so is the mapping (no event for 2 s).
          if (r == -ESRCH)
            c.pending.clear();
          else if (r == -ENOENT)
            cut(c.pending, a, e, [](uint64_t, const Span&) {});
          else
            fail(a, r);
          continue;
        }
        missing = false;
        g_filled += (e - a) / kPageSize;
        cut(c.pending, a, e, [](uint64_t, const Span&) {});
        continue;
      }
      // Waiting for faults only when there is nothing to fill; otherwise just a look.
      std::vector<pollfd> pf;
      for (Ctx& x : ctxs) pf.push_back({x.fd, POLLIN, 0});
      bool work = false;
      for (Ctx& x : ctxs) work |= !x.pending.empty();
      ::poll(pf.data(), pf.size(), work ? 0 : 100);
    }
    done = true;
  }
};

namespace {

std::mutex g_mu;
std::vector<std::unique_ptr<LazyPages::Filler>> g_fillers;

struct JoinAtExit {
  ~JoinAtExit() { LazyPages::wait_all(); }
} g_join_at_exit;

}  // namespace

std::unique_ptr<LazyPages> LazyPages::open(Task& t) {
  if (const char* how = getenv("CKRR_RESTORE"); how && std::string(how) == "eager") return nullptr;
  long fd = remote_syscall(t, SYS_userfaultfd, {O_CLOEXEC | O_NONBLOCK});
  if (fd < 0) return nullptr;  // EPERM: user-mode-only faults would not serve read() etc.
  int uffd = -1;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, t.tgid(), 0));
  if (pidfd >= 0) {
    uffd = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, static_cast<int>(fd), 0));
    ::close(pidfd);
  }
  remote_syscall(t, SYS_close, {static_cast<uint64_t>(fd)});  // the app's fds stay as they were
  if (uffd < 0) return nullptr;
  uffdio_api api{};
  api.api = UFFD_API;
  api.features = kFeatures;
  if (ioctl(uffd, UFFDIO_API, &api) != 0 || (api.features & kFeatures) != kFeatures ||
      !(api.ioctls & (1ull << _UFFDIO_REGISTER))) {
    ::close(uffd);
    return nullptr;
  }
  auto lp = std::unique_ptr<LazyPages>(new LazyPages(uffd));
  lp->pid_ = t.tgid();
  return lp;
}

LazyPages::~LazyPages() {
  if (uffd_ >= 0) ::close(uffd_);
}

bool LazyPages::add_region(uint64_t start, uint64_t end) {
  uffdio_register reg{};
  reg.range = {start, end - start};
  reg.mode = UFFDIO_REGISTER_MODE_MISSING;
  return ioctl(uffd_, UFFDIO_REGISTER, &reg) == 0 && (reg.ioctls & (1ull << _UFFDIO_COPY)) &&
         (reg.ioctls & (1ull << _UFFDIO_ZEROPAGE));
}

void LazyPages::add_run(uint64_t addr, const PageRef& from, uint64_t npages) {
  runs_.push_back(Run{addr, npages, from});
}

void LazyPages::start(std::unique_ptr<LazyPages> lp, const PageStore& pages) {
  auto f = std::make_unique<Filler>();
  Pending pending;
  for (const Run& r : lp->runs_) {
    auto it = f->packs.find(r.ref.pack);
    if (it == f->packs.end()) {
      const std::string path = pages.pack_path(r.ref.pack).string();
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw TraceError(errno_text(path, errno));
      struct stat st;
      void* p = fstat(fd, &st) == 0 && st.st_size
                    ? mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0)
                    : MAP_FAILED;
      ::close(fd);
      if (p == MAP_FAILED) throw TraceError(path + ": cannot map checkpoint pages");
      it = f->packs
               .emplace(r.ref.pack, std::make_pair(static_cast<const uint8_t*>(p),
                                                   static_cast<size_t>(st.st_size)))
               .first;
    }
    if (r.ref.offset + r.npages * kPageSize > it->second.second)
      throw TraceError(pages.pack_path(r.ref.pack).string() + ": shorter than its index says");
    pending[r.addr] = Span{r.addr + r.npages * kPageSize, r.ref.pack, r.ref.offset};
  }
  f->ctxs.push_back(Filler::Ctx{lp->uffd_, std::move(pending)});
  f->pid = lp->pid_;
  lp->uffd_ = -1;  // the filler's now
  Filler* raw = f.get();
  std::lock_guard<std::mutex> lock(g_mu);
  // Fillers that are done: joined and freed here.
  for (size_t i = 0; i < g_fillers.size();)
    if (g_fillers[i]->done)
      g_fillers.erase(g_fillers.begin() + static_cast<long>(i));
    else
      ++i;
  raw->thread = std::thread([raw] {
    // Signals are the supervisor's business; this thread only copies pages.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    raw->run();
  });
  g_fillers.push_back(std::move(f));
}

void LazyPages::wait_all() {
  std::lock_guard<std::mutex> lock(g_mu);
  g_fillers.clear();  // each joins its thread
}

uint64_t LazyPages::pages_filled() {
  return g_filled;
}

uint64_t LazyPages::pages_on_fault() {
  return g_on_fault;
}

}  // namespace ckrr
