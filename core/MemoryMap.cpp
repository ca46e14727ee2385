#include "core/MemoryMap.h"

#include <cinttypes>
#include <cstdio>
#include <fstream>

namespace ckrr {

std::vector<Mapping> read_memory_map(pid_t pid) {
  std::vector<Mapping> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(in, line)) {
    Mapping m;
    char perms[5] = {};
    unsigned long long start, end, off, inode;
    unsigned dmaj, dmin;
    int consumed = 0;
    if (sscanf(line.c_str(), "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &off, &dmaj,
               &dmin, &inode, &consumed) < 7)
      continue;
    m.start = start;
    m.end = end;
    m.offset = off;
    m.inode = inode;
    m.read = perms[0] == 'r';
    m.write = perms[1] == 'w';
    m.exec = perms[2] == 'x';
    m.shared = perms[3] == 's';
    if (consumed > 0 && static_cast<size_t>(consumed) < line.size()) m.path = line.substr(consumed);
    out.push_back(std::move(m));
  }
  return out;
}

const Mapping* find_mapping(const std::vector<Mapping>& maps, uint64_t addr) {
  for (const Mapping& m : maps)
    if (addr >= m.start && addr < m.end) return &m;
  return nullptr;
}

}  // namespace ckrr
