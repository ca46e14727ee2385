#pragma once
// Which syscalls write to an fd (write, pwrite64, writev, pwritev, pwritev2, sendto, sendmsg,
// sendmmsg): their effect is seen by others (a file, a pipe, the stdout replay echoes), so the
// recorder orders them (recorder/WriteOrder) and replay reports one whose end is not recorded.
#include <cstdint>
#include <optional>

namespace ckrr {

// The fd the call writes to; nullopt for any other call.
std::optional<int> written_fd(long nr, const uint64_t* args);

}  // namespace ckrr
