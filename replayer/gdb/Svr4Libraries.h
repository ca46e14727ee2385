#pragma once
// Reads the dynamic linker's list of loaded objects (r_debug.r_map) out of a process through a
// memory reader, for qXfer:libraries-svr4:read. The same walk gdb would do itself, but done
// once in the stub instead of through dozens of memory-read round trips.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "replayer/gdb/DebugTarget.h"

namespace ckrr::gdb {

// Copies up to len bytes at addr, returns how many it could (as DebugTarget::read_memory).
using MemoryReader = std::function<size_t(uint64_t addr, void* out, size_t len)>;

// Finds the executable's program headers from auxv (AT_PHDR/AT_PHNUM), its DT_DEBUG entry,
// and walks the link_map list. Returns an empty list (main_lm 0) when the dynamic linker has
// not filled r_debug yet or the executable is static; nullopt when the memory is inconsistent
// (unreadable headers, a list that does not link back).
std::optional<Svr4LibraryList> read_svr4_libraries(const MemoryReader& read,
                                                   std::span<const uint8_t> auxv);

}  // namespace ckrr::gdb
