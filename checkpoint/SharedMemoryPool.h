#pragma once
// Memory that several restored processes share. Checkpoints of a group of processes hold each
// process's copy of a shared writable mapping (a /dev/shm semaphore, MAP_SHARED|MAP_ANONYMOUS
// memory inherited through fork); restoring each copy privately would split it. Instead one
// memfd per shared object (the inode /proc/PID/maps names) lives in ckrr's process, filled once
// per range from the first process restored, and every process maps it from
// /proc/<ckrr>/fd/<n>.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>

namespace ckrr {

class SharedMemoryPool {
 public:
  SharedMemoryPool() = default;
  ~SharedMemoryPool();
  SharedMemoryPool(const SharedMemoryPool&) = delete;
  SharedMemoryPool& operator=(const SharedMemoryPool&) = delete;

  // The memfd standing for object `inode`, at least offset + len bytes long. `fresh` tells
  // whether [offset, offset + len) still has to be filled (then it counts as filled).
  int object(uint64_t inode, uint64_t offset, uint64_t len, bool* fresh);
  // Where a restored process opens it.
  static std::string path_of(int fd);

 private:
  std::map<uint64_t, int> fds_;
  std::set<std::tuple<uint64_t, uint64_t, uint64_t>> filled_;
};

}  // namespace ckrr
