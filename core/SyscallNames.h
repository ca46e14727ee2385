#pragma once
// Names of x86-64 syscalls, for events, messages and the index.
#include <string>
#include <string_view>

namespace ckrr {

// nullptr when the number is unknown.
const char* syscall_name(long nr);
// "read", or "syscall_999" when unknown.
std::string syscall_display_name(long nr);
// -1 when the name is unknown.
long syscall_number(std::string_view name);

}  // namespace ckrr
