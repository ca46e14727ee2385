#pragma once
// /proc/PID/maps, parsed.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckrr {

struct Mapping {
  uint64_t start = 0, end = 0;
  bool read = false, write = false, exec = false, shared = false;
  uint64_t offset = 0;
  uint64_t inode = 0;
  std::string path;  // "" for anonymous, "[heap]", "[stack]", "[vdso]"...
  uint64_t size() const { return end - start; }
};

std::vector<Mapping> read_memory_map(pid_t pid);
// The mapping containing addr, or nullptr.
const Mapping* find_mapping(const std::vector<Mapping>& maps, uint64_t addr);

}  // namespace ckrr
