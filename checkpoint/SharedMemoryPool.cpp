#include "checkpoint/SharedMemoryPool.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/Error.h"

namespace ckrr {

SharedMemoryPool::~SharedMemoryPool() {
  for (const auto& [inode, fd] : fds_) ::close(fd);
}

int SharedMemoryPool::object(uint64_t inode, uint64_t offset, uint64_t len, bool* fresh) {
  auto it = fds_.find(inode);
  if (it == fds_.end()) {
    // Restored processes open it by path; none inherits it.
    int fd = ::memfd_create("ckrr-shared", MFD_CLOEXEC);
    if (fd < 0) throw Error(errno_text("memfd_create for shared memory", errno));
    it = fds_.emplace(inode, fd).first;
  }
  struct stat st {};
  if (::fstat(it->second, &st) != 0) throw Error(errno_text("fstat of shared memory", errno));
  if (static_cast<uint64_t>(st.st_size) < offset + len &&
      ::ftruncate(it->second, static_cast<off_t>(offset + len)) != 0)
    throw Error(errno_text("sizing shared memory", errno));
  *fresh = filled_.emplace(inode, offset, len).second;
  return it->second;
}

std::string SharedMemoryPool::path_of(int fd) {
  return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd);
}

}  // namespace ckrr
