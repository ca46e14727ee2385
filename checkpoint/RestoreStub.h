#pragma once
// The program a restore starts from: a few bytes of static, libc-free ELF generated in memory
// (no file to install or find), loaded at an address no ordinary process uses, so that
// everything else in its address space can be unmapped and replaced by the checkpoint's
// mappings. Its only code is `syscall; int3` at its entry, for the first injected syscalls.
#include <cstdint>
#include <string>

namespace ckrr {

constexpr uint64_t kRestoreStubAddr = 0x6f0000000000;
constexpr uint64_t kRestoreStubSize = 4096;

// A memfd holding the stub executable, and a path that execs it from a child of this process
// (launch_traced closes the child's fds before exec, so the child opens it through our fd).
class RestoreStub {
 public:
  RestoreStub();
  ~RestoreStub();
  RestoreStub(const RestoreStub&) = delete;
  RestoreStub& operator=(const RestoreStub&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace ckrr
