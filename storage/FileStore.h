#pragma once
// Content-addressed copies of the files a recording executed or mapped, so that replay works
// after they change or disappear. Stored as files/<sha256>/<basename> (mode 0600 file, 0700
// dirs); the basename is kept because the kernel names a process after the file it executes.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>

namespace ckrr {

class FileStore {
 public:
  explicit FileStore(std::filesystem::path trace_dir);

  // Copies the file open at fd (any fd of this process, e.g. opened from /proc/PID/fd/N) into
  // the store unless the same content is there; returns the relative name
  // "files/<sha256>/<basename>". A cache keyed by (dev, inode, size, mtime) avoids rehashing.
  // Uses FICLONE when the filesystem supports it, else a copy. Throws Error on I/O failure.
  std::string save_fd(int fd, const std::string& basename);
  std::string save_path(const std::filesystem::path& file);

  // The content hash a stored name "files/<sha256>/<name>" carries; "" when it has none.
  static std::string hash_of(const std::string& stored);
  // Absolute path of a stored name.
  std::filesystem::path resolve(const std::string& stored) const { return dir_ / stored; }
  // Bytes added to the store by this object so far.
  uint64_t bytes_added() const { return bytes_added_; }

 private:
  std::filesystem::path dir_;
  // (dev, inode, size, mtime ns) -> content hash
  std::map<std::tuple<uint64_t, uint64_t, uint64_t, int64_t>, std::string> cache_;
  uint64_t bytes_added_ = 0;
};

}  // namespace ckrr
