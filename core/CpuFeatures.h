#pragma once
// The CPU features a recording relied on. Programs choose code by CPUID (glibc's string
// functions, JITs, math libraries), and ckrr cannot make CPUID answer as the recording machine
// did: a replay on a CPU that lacks a recorded feature would take other paths and diverge.
#include <set>
#include <string>
#include <vector>

namespace ckrr {

// The feature flags of this machine's CPU, as /proc/cpuinfo names them ("avx2", "sse4_2"...),
// space-separated and sorted.
std::string cpu_features_text();
// Recorded features (that text) this machine lacks. Flags that describe the kernel, the
// hypervisor or CPU bugs rather than instructions are not counted.
std::vector<std::string> cpu_features_missing(const std::string& recorded);

}  // namespace ckrr
