#include "checkpoint/RemoteSyscall.h"

#include <cstring>

#include "core/Error.h"

namespace ckrr {

long remote_syscall_checked(Task& t, const std::string& what, long nr,
                            std::initializer_list<uint64_t> args) {
  long r = remote_syscall(t, nr, args);
  if (r < 0 && r > -4096) throw Error(errno_text(what + " in process " + std::to_string(t.tid()),
                                                 static_cast<int>(-r)));
  return r;
}

uint64_t stage_string(Task& t, const std::string& s) {
  if (s.size() + 1 > kScratchDataSize) throw Error("path too long for ckrr's scratch page: " + s);
  t.write(kScratchDataAddr, s.c_str(), s.size() + 1);
  return kScratchDataAddr;
}

}  // namespace ckrr
