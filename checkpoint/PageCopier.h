#pragma once
// Copies many short runs of stored pages into a process in few syscalls: the packs are mapped
// read-only here and handed to process_vm_writev as up to IOV_MAX pieces at a time, instead of
// one read of the pack and one write to /proc/PID/mem per run (which made restoring a
// checkpoint patched from many packs cost ~0.5 s per GB).
#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <map>
#include <vector>

#include "storage/PageStore.h"

namespace ckrr {

class PageCopier {
 public:
  PageCopier(const PageStore& pages, pid_t pid) : pages_(pages), pid_(pid) {}
  ~PageCopier();  // flush() must have been called; unmaps the packs
  PageCopier(const PageCopier&) = delete;
  PageCopier& operator=(const PageCopier&) = delete;

  // Queues npages pages stored from `from` to be written at addr (mapped and writable).
  void add(uint64_t addr, const PageRef& from, uint64_t npages);
  // Writes everything queued. Throws Error when the process cannot be written.
  void flush();

 private:
  const uint8_t* pack_data(uint32_t pack, uint64_t end);
  const PageStore& pages_;
  pid_t pid_;
  std::map<uint32_t, std::pair<void*, size_t>> maps_;
  std::vector<iovec> local_, remote_;
};

}  // namespace ckrr
