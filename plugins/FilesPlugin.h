#pragma once
// Files and the fd table: opens, reads (data the kernel returned is in the log, so replay works
// after files change), writes (replay echoes what went to ckrr's own stdout/stderr and checks
// the bytes), metadata (stat, getdents, readlink...) and directory changes.
#include "plugins/Plugin.h"

namespace ckrr {

class FilesPlugin : public Plugin {
 public:
  const char* name() const override { return "files"; }
  void record_entry(SyscallContext& ctx) override;
  void record_exit(SyscallContext& ctx) override;
  void replay_exit(SyscallContext& ctx) override;
  void on_exec(ProcessState& p) override { p.exec(); }

  // How many bytes of written data are kept in the log per write (for the GUI and checks).
  static constexpr size_t kWriteDataKept = 4096;

 private:
  void apply_fd_effects(SyscallContext& ctx);
};

// Captures the buffers of an iovec array the kernel filled, up to total bytes.
void capture_iovec(SyscallContext& ctx, uint64_t iov, uint64_t count, uint64_t total);
// Gathers up to max bytes from an iovec array in the task's memory.
std::vector<uint8_t> gather_iovec(Task& t, uint64_t iov, uint64_t count, uint64_t max);

}  // namespace ckrr
