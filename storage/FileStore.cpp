// Content-addressed file store. The name is the SHA-256 of exactly the bytes stored: the copy is
// made under a temporary name, checked, then renamed, so a reader never sees a partial file and a
// source that changes while it is copied cannot end up under the wrong hash.
#include "storage/FileStore.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <vector>

#include "core/Error.h"
#include "core/Sha256.h"
#include "storage/FdIo.h"

namespace ckrr {

namespace fs = std::filesystem;

namespace {

constexpr size_t kBufSize = 1 << 20;

struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

// SHA-256 of the whole file at fd, read with pread so the fd's offset is left alone.
std::string hash_fd(int fd, const std::string& what) {
  Sha256 h;
  std::vector<uint8_t> buf(kBufSize);
  for (off_t off = 0;;) {
    ssize_t n = pread_all(fd, buf.data(), buf.size(), off);
    if (n < 0) throw Error(errno_text(what + ": read", errno));
    h.update(buf.data(), size_t(n));
    if (size_t(n) < buf.size()) break;
    off += n;
  }
  return h.hex();
}

// Copies all of in to the empty file out: a reflink when the filesystem can, else in-kernel
// copy_file_range, else plain reads and writes.
void copy_contents(int in, int out, const std::string& what) {
  if (::ioctl(out, FICLONE, in) == 0) return;
  off64_t off = 0;
  for (;;) {
    ssize_t n = ::copy_file_range(in, &off, out, nullptr, kBufSize, 0);
    if (n > 0) continue;
    if (n == 0) return;
    if (errno == EINTR) continue;
    if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP ||
        errno == EBADF || errno == EPERM)
      break;
    throw Error(errno_text(what + ": copy", errno));
  }
  std::vector<uint8_t> buf(kBufSize);
  for (;;) {
    ssize_t n = pread_all(in, buf.data(), buf.size(), off);
    if (n < 0) throw Error(errno_text(what + ": read", errno));
    if (int err = write_all(out, buf.data(), size_t(n)))
      throw Error(errno_text(what + ": write", err));
    if (size_t(n) < buf.size()) return;
    off += n;
  }
}

void make_private_dir(const fs::path& p) {
  if (::mkdir(p.c_str(), 0700) == 0) {
    if (::chmod(p.c_str(), 0700) != 0) throw Error(errno_text(p.string(), errno));
  } else if (errno != EEXIST) {
    throw Error(errno_text(p.string(), errno));
  }
}

// The basename becomes a path component: keep it to one plain name.
std::string safe_name(const std::string& basename) {
  std::string s = basename;
  for (char& c : s)
    if (c == '/') c = '_';
  if (s.empty() || s == "." || s == ".." || s.starts_with(".tmp-")) s = "file" + s;
  return s;
}

std::string temp_name(const std::string& name) {
  static std::atomic<unsigned> counter{0};
  return ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name;
}

bool exists_nofollow(const fs::path& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

// Another name in files/<hash>/ with the same content, if any.
std::optional<fs::path> existing_copy(const fs::path& hash_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(hash_dir, ec)) {
    if (entry.is_regular_file() && !entry.path().filename().string().starts_with(".tmp-"))
      return entry.path();
  }
  return std::nullopt;
}

}  // namespace

FileStore::FileStore(fs::path trace_dir) : dir_(std::move(trace_dir)) {}

std::string FileStore::save_fd(int fd, const std::string& basename) {
  const std::string what = "saving " + basename;
  struct stat st;
  if (::fstat(fd, &st) != 0) throw Error(errno_text(what, errno));
  auto key = std::make_tuple(uint64_t(st.st_dev), uint64_t(st.st_ino), uint64_t(st.st_size),
                             int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
  // The cache gives the content hash; the name still depends on the basename asked for.
  auto cached = cache_.find(key);
  std::string hash = cached != cache_.end() ? cached->second : hash_fd(fd, what);
  const std::string name = safe_name(basename);
  std::string rel = "files/" + hash + "/" + name;
  if (exists_nofollow(dir_ / rel)) {
    cache_[key] = hash;
    return rel;
  }

  make_private_dir(dir_ / "files");
  make_private_dir(dir_ / "files" / hash);
  fs::path tmp = dir_ / "files" / hash / temp_name(name);

  // Same content under another name: a hard link costs no space.
  if (auto other = existing_copy(dir_ / "files" / hash)) {
    if (::link(other->c_str(), tmp.c_str()) == 0) {
      if (::rename(tmp.c_str(), (dir_ / rel).c_str()) == 0) {
        cache_[key] = hash;
        return rel;
      }
      ::unlink(tmp.c_str());
    }
    // Fall through to a copy (e.g. a filesystem without hard links).
  }

  int out = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) throw Error(errno_text(tmp.string(), errno));
  FdGuard guard{out};
  try {
    // Private to the owner; executable by the owner when the original was, because replay may
    // bind-mount the copy over a changed executable and exec it.
    mode_t mode = (st.st_mode & 0111) ? 0700 : 0600;
    if (::fchmod(out, mode) != 0) throw Error(errno_text(tmp.string(), errno));
    copy_contents(fd, out, what);
    // The source may have changed since it was hashed: name the copy by what it holds.
    std::string copied = hash_fd(out, what);
    struct stat cst;
    if (::fstat(out, &cst) != 0) throw Error(errno_text(tmp.string(), errno));
    bool changed = copied != hash;
    if (changed) {
      hash = copied;
      rel = "files/" + hash + "/" + name;
      make_private_dir(dir_ / "files" / hash);
    }
    if (exists_nofollow(dir_ / rel)) {
      ::unlink(tmp.c_str());
    } else {
      if (::rename(tmp.c_str(), (dir_ / rel).c_str()) != 0)
        throw Error(errno_text((dir_ / rel).string(), errno));
      bytes_added_ += uint64_t(cst.st_size);
    }
    if (!changed) cache_[key] = hash;
    return rel;
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

std::string FileStore::save_path(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(errno_text(file.string(), errno));
  FdGuard guard{fd};
  return save_fd(fd, file.filename().string());
}

std::string FileStore::hash_of(const std::string& stored) {
  const auto a = stored.find('/');
  const auto b = a == std::string::npos ? a : stored.find('/', a + 1);
  return b == std::string::npos ? "" : stored.substr(a + 1, b - a - 1);
}

}  // namespace ckrr
