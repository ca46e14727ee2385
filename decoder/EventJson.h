#pragma once
// One event as one line of JSON, for scripts (`ckrr events --json`).
#include <cstdint>
#include <string>
#include <string_view>

#include "decoder/EventDecoder.h"

namespace ckrr {

// {"seq":..,"time":..,"tid":..,"pid":..,"kind":"syscall","name":"openat","nr":257,
//  "args":[{"name":"dirfd","value":"AT_FDCWD"},...],"raw_args":[...],"result":3,
//  "error":"ENOENT"|null,"text":"openat(AT_FDCWD, ...) = 3"}. `ev` may be null when only the
// index row is readable (then args are absent and text is the name).
std::string event_json(uint64_t seq, uint64_t time_ns, int32_t tid, int32_t pid,
                       std::string_view kind, const Event* ev, const DecodedEvent& d,
                       int64_t result);

// A JSON string literal.
std::string json_string(std::string_view s);

}  // namespace ckrr
