#include "checkpoint/CheckpointManifest.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/Error.h"
#include "storage/Crc32.h"

namespace ckrr {

namespace {

constexpr char kMagic[8] = {'C', 'K', 'R', 'R', 'C', 'K', 'P', 'T'};
constexpr size_t kHeader = 8 + 4 + 4 + 8;

enum Tag : uint32_t {
  kMeta = 1,
  kMm = 2,
  kProc = 3,
  kSigactions = 4,
  kThread = 5,  // one section per thread
  kRegions = 6,
  kFds = 7,
  kBlob = 8,  // one section per blob
};

class Out {
 public:
  std::vector<uint8_t> b;
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof v);
  }
  void bytes(const void* p, size_t n) {
    put<uint64_t>(n);
    b.insert(b.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
  }
  void bytes(const std::vector<uint8_t>& v) { bytes(v.data(), v.size()); }
  void str(const std::string& s) { bytes(s.data(), s.size()); }
};

// A section: tag, length, then what fill() appends.
template <typename F>
void section(Out& o, uint32_t tag, F fill) {
  o.put(tag);
  size_t len_at = o.b.size();
  o.put<uint64_t>(0);
  size_t start = o.b.size();
  fill(o);
  uint64_t len = o.b.size() - start;
  memcpy(&o.b[len_at], &len, 8);
}

class In {
 public:
  In(const uint8_t* p, size_t n, const std::string& what) : p_(p), n_(n), what_(what) {}
  template <typename T>
  T get() {
    T v;
    need(sizeof v);
    memcpy(&v, p_ + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::vector<uint8_t> bytes() {
    uint64_t n = get<uint64_t>();
    need(n);
    std::vector<uint8_t> v(p_ + pos_, p_ + pos_ + n);
    pos_ += n;
    return v;
  }
  std::string str() {
    std::vector<uint8_t> v = bytes();
    return std::string(v.begin(), v.end());
  }
  In sub(uint64_t n) {
    need(n);
    In s(p_ + pos_, n, what_);
    pos_ += n;
    return s;
  }
  bool done() const { return pos_ == n_; }
  [[noreturn]] void fail(const std::string& why) const {
    throw TraceError("checkpoint manifest " + what_ + " is corrupt: " + why);
  }

 private:
  void need(uint64_t n) const {
    if (n > n_ - pos_) fail("truncated section");
  }
  const uint8_t* p_;
  size_t n_, pos_ = 0;
  const std::string& what_;
};

}  // namespace

const std::vector<uint8_t>* CheckpointManifest::blob(const std::string& name) const {
  for (const auto& [n, v] : blobs)
    if (n == name) return &v;
  return nullptr;
}

std::vector<ThreadPlace> CheckpointManifest::thread_places() const {
  std::vector<ThreadPlace> places;
  if (const std::vector<uint8_t>* b = blob(kThreadsBlob)) {
    places.resize(b->size() / sizeof(ThreadPlace));
    memcpy(places.data(), b->data(), places.size() * sizeof(ThreadPlace));
  }
  return places;
}

std::vector<uint8_t> thread_places_blob(const std::vector<ThreadPlace>& places) {
  std::vector<uint8_t> blob(places.size() * sizeof(ThreadPlace));
  memcpy(blob.data(), places.data(), blob.size());
  return blob;
}

std::vector<uint8_t> CheckpointManifest::serialize() const {
  Out o;
  section(o, kMeta, [&](Out& s) {
    s.put(id);
    s.put(seq);
    s.put(time_ns);
    s.put(rss);
    s.put(bytes_added);
  });
  section(o, kMm, [&](Out& s) { s.put(mm); });
  section(o, kProc, [&](Out& s) {
    s.bytes(auxv);
    s.str(cwd);
    s.str(exe);
    s.str(comm);
  });
  section(o, kSigactions, [&](Out& s) { s.put(sigactions); });
  for (const SavedThread& t : threads)
    section(o, kThread, [&](Out& s) {
      s.put(t.tid);
      s.put(t.regs);
      s.bytes(t.xstate);
      s.put(t.sigmask);
      s.put(t.altstack_sp);
      s.put(t.altstack_size);
      s.put(t.altstack_flags);
      s.put(t.robust_list);
      s.put(t.robust_list_len);
      s.put(t.clear_child_tid);
    });
  section(o, kRegions, [&](Out& s) {
    s.put<uint64_t>(regions.size());
    for (const SavedRegion& r : regions) {
      s.put(r.start);
      s.put(r.end);
      uint8_t flags = (r.read ? 1 : 0) | (r.write ? 2 : 0) | (r.exec ? 4 : 0) | (r.shared ? 8 : 0);
      s.put(flags);
      s.put(r.kind);
      s.put(r.offset);
      s.put(r.inode);
      s.str(r.path);
      s.put<uint64_t>(r.runs.size());
      for (const PageRun& run : r.runs) {
        s.put(run.first);
        s.put(run.npages);
        s.put(run.ref.pack);
        s.put(run.ref.offset);
      }
    }
  });
  section(o, kFds, [&](Out& s) {
    s.put<uint64_t>(fds.size());
    for (const SavedFd& f : fds) {
      s.put(f.fd);
      s.str(f.path);
      s.put(f.flags);
      s.put(f.pos);
    }
  });
  for (const auto& [name, data] : blobs)
    section(o, kBlob, [&](Out& s) {
      s.str(name);
      s.bytes(data);
    });

  std::vector<uint8_t> file(kHeader);
  memcpy(file.data(), kMagic, 8);
  uint32_t version = kVersion, crc = crc32(o.b.data(), o.b.size());
  uint64_t len = o.b.size();
  memcpy(file.data() + 8, &version, 4);
  memcpy(file.data() + 12, &crc, 4);
  memcpy(file.data() + 16, &len, 8);
  file.insert(file.end(), o.b.begin(), o.b.end());
  return file;
}

CheckpointManifest CheckpointManifest::parse(const std::vector<uint8_t>& bytes,
                                             const std::string& what) {
  auto fail = [&](const std::string& why) -> void {
    throw TraceError("checkpoint manifest " + what + " is corrupt: " + why);
  };
  if (bytes.size() < kHeader || memcmp(bytes.data(), kMagic, 8) != 0) fail("not a manifest");
  uint32_t version, crc;
  uint64_t len;
  memcpy(&version, bytes.data() + 8, 4);
  memcpy(&crc, bytes.data() + 12, 4);
  memcpy(&len, bytes.data() + 16, 8);
  if (version != kVersion)
    throw TraceError("checkpoint manifest " + what + " has format version " +
                     std::to_string(version) + "; this ckrr reads version " +
                     std::to_string(kVersion));
  if (len != bytes.size() - kHeader) fail("truncated");
  if (crc32(bytes.data() + kHeader, len) != crc) fail("checksum mismatch");

  CheckpointManifest m;
  bool have_meta = false, have_regions = false;
  In in(bytes.data() + kHeader, len, what);
  while (!in.done()) {
    uint32_t tag = in.get<uint32_t>();
    In s = in.sub(in.get<uint64_t>());
    switch (tag) {
      case kMeta:
        m.id = s.get<uint32_t>();
        m.seq = s.get<uint64_t>();
        m.time_ns = s.get<uint64_t>();
        m.rss = s.get<uint64_t>();
        m.bytes_added = s.get<uint64_t>();
        have_meta = true;
        break;
      case kMm:
        m.mm = s.get<MmFields>();
        break;
      case kProc:
        m.auxv = s.bytes();
        m.cwd = s.str();
        m.exe = s.str();
        m.comm = s.str();
        break;
      case kSigactions:
        m.sigactions = s.get<std::array<KernelSigaction, 64>>();
        break;
      case kThread: {
        SavedThread t;
        t.tid = s.get<int32_t>();
        t.regs = s.get<user_regs_struct>();
        t.xstate = s.bytes();
        t.sigmask = s.get<uint64_t>();
        t.altstack_sp = s.get<uint64_t>();
        t.altstack_size = s.get<uint64_t>();
        t.altstack_flags = s.get<int32_t>();
        t.robust_list = s.get<uint64_t>();
        t.robust_list_len = s.get<uint64_t>();
        if (!s.done()) t.clear_child_tid = s.get<uint64_t>();  // absent in older checkpoints
        m.threads.push_back(std::move(t));
        break;
      }
      case kRegions: {
        uint64_t n = s.get<uint64_t>();
        for (uint64_t i = 0; i < n; ++i) {
          SavedRegion r;
          r.start = s.get<uint64_t>();
          r.end = s.get<uint64_t>();
          uint8_t flags = s.get<uint8_t>();
          r.read = flags & 1;
          r.write = flags & 2;
          r.exec = flags & 4;
          r.shared = flags & 8;
          r.kind = s.get<SavedRegion::Kind>();
          if (r.kind > SavedRegion::Kind::Scratch) s.fail("unknown region kind");
          r.offset = s.get<uint64_t>();
          r.inode = s.get<uint64_t>();
          r.path = s.str();
          uint64_t runs = s.get<uint64_t>();
          uint64_t next = 0;
          for (uint64_t k = 0; k < runs; ++k) {
            PageRun run;
            run.first = s.get<uint64_t>();
            run.npages = s.get<uint64_t>();
            run.ref.pack = s.get<uint32_t>();
            run.ref.offset = s.get<uint64_t>();
            if (run.first != next || run.npages == 0) s.fail("page runs out of order");
            next += run.npages;
            r.runs.push_back(run);
          }
          if (r.end <= r.start || (r.start | r.end) % kPageSize) s.fail("bad region bounds");
          if (!r.runs.empty() && next != r.pages()) s.fail("page runs do not cover a region");
          m.regions.push_back(std::move(r));
        }
        have_regions = true;
        break;
      }
      case kFds: {
        uint64_t n = s.get<uint64_t>();
        for (uint64_t i = 0; i < n; ++i) {
          SavedFd f;
          f.fd = s.get<int32_t>();
          f.path = s.str();
          f.flags = s.get<int32_t>();
          f.pos = s.get<uint64_t>();
          m.fds.push_back(std::move(f));
        }
        break;
      }
      case kBlob: {
        std::string name = s.str();
        m.blobs.emplace_back(std::move(name), s.bytes());
        break;
      }
      default:
        break;  // a section of a later minor revision
    }
  }
  if (!have_meta || !have_regions || m.threads.empty()) fail("sections missing");
  return m;
}

CheckpointManifest CheckpointManifest::load(const std::filesystem::path& dir) {
  std::filesystem::path p = dir / "manifest";
  std::ifstream f(p, std::ios::binary);
  if (!f) throw TraceError("checkpoint manifest " + p.string() + " is missing");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return parse(bytes, p.string());
}

}  // namespace ckrr
