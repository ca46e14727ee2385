#pragma once
// Refuses to replay or restart a trace recorded on a CPU with features this one lacks.
#include <string>

namespace ckrr {

// Throws Error naming the missing features (unless ignore, then it only warns on stderr).
void require_recorded_cpu(const std::string& trace_dir, bool ignore);

}  // namespace ckrr
