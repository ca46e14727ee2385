#include "storage/AtomicFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "core/Error.h"
#include "storage/FdIo.h"

namespace ckrr {

void fsync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Error(errno_text("open " + dir.string(), errno));
  int r = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (r != 0) throw Error(errno_text("fsync " + dir.string(), e));
}

void write_file_atomically(const std::filesystem::path& path, std::span<const uint8_t> data,
                           unsigned mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw Error(errno_text("create " + tmp.string(), errno));
  int err = write_all(fd, data.data(), data.size());
  if (!err && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (!err && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err) {
    ::unlink(tmp.c_str());
    throw Error(errno_text("write " + path.string(), err));
  }
  fsync_directory(path.parent_path());
}

}  // namespace ckrr
