#include "checkpoint/PageCopier.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/Error.h"

namespace ckrr {

PageCopier::~PageCopier() {
  for (auto& [pack, m] : maps_) munmap(m.first, m.second);
}

const uint8_t* PageCopier::pack_data(uint32_t pack, uint64_t end) {
  auto it = maps_.find(pack);
  if (it == maps_.end()) {
    std::string path = pages_.pack_path(pack).string();
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw TraceError(errno_text(path, errno));
    struct stat st;
    fstat(fd, &st);
    void* p = st.st_size ? mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (p == MAP_FAILED) throw TraceError(path + ": cannot map checkpoint pages");
    it = maps_.emplace(pack, std::make_pair(p, static_cast<size_t>(st.st_size))).first;
  }
  if (end > it->second.second)
    throw TraceError(pages_.pack_path(pack).string() + ": shorter than its index says");
  return static_cast<const uint8_t*>(it->second.first);
}

void PageCopier::add(uint64_t addr, const PageRef& from, uint64_t npages) {
  const uint64_t bytes = npages * kPageSize;
  const uint8_t* base = pack_data(from.pack, from.offset + bytes);
  local_.push_back({const_cast<uint8_t*>(base + from.offset), bytes});
  remote_.push_back({reinterpret_cast<void*>(addr), bytes});
  if (local_.size() == IOV_MAX) flush();
}

void PageCopier::flush() {
  size_t done = 0;
  while (done < local_.size()) {
    size_t n = std::min<size_t>(IOV_MAX, local_.size() - done);
    size_t want = 0;
    for (size_t i = done; i < done + n; ++i) want += local_[i].iov_len;
    ssize_t w = process_vm_writev(pid_, local_.data() + done, n, remote_.data() + done, n, 0);
    if (w != static_cast<ssize_t>(want))
      throw Error(errno_text("restore: writing pages into process " + std::to_string(pid_),
                             w < 0 ? errno : EFAULT));
    done += n;
  }
  local_.clear();
  remote_.clear();
}

}  // namespace ckrr
