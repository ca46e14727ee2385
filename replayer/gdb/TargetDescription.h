#pragma once
// The target description gdb reads with qXfer:features:read:target.xml. It names every
// register the stub sends, so gdb needs no built-in knowledge of our `g` packet layout.
#include <string>

namespace ckrr::gdb {

// i386:x86-64, GNU/Linux, with the core, sse, linux (orig_rax) and segments (fs_base/gs_base)
// features, plus avx (ymm high halves) when `avx`. Register numbers are those of X86Registers.h.
std::string x86_64_target_xml(bool avx);

}  // namespace ckrr::gdb
