#include "core/CpuFeatures.h"

#include <fstream>
#include <sstream>

namespace ckrr {

namespace {

std::set<std::string> split(const std::string& s) {
  std::set<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.insert(w);
  return out;
}

std::set<std::string> this_cpu() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return split(line.substr(colon + 1));
    }
  return {};
}

// Flags that say how the machine is run, not what instructions a program may use.
bool about_instructions(const std::string& f) {
  static const std::set<std::string> kNot = {"hypervisor",   "constant_tsc",
                                             "nonstop_tsc",  "tsc_known_freq",
                                             "rep_good",     "nopl",
                                             "xtopology",    "cpuid",
                                             "tsc_reliable", "arch_perfmon",
                                             "pti",          "ibrs",
                                             "ibpb",         "stibp",
                                             "ssbd",         "md_clear",
                                             "flush_l1d",    "arch_capabilities",
                                             "tsc_adjust",   "tsc_deadline_timer",
                                             "vmmcall",      "extd_apicid",
                                             "aperfmperf",   "arat",
                                             "pni",          "lm",
                                             "ht",           "ss",
                                             "syscall"};
  return !kNot.count(f);
}

}  // namespace

std::string cpu_features_text() {
  std::string out;
  for (const auto& f : this_cpu()) out += (out.empty() ? "" : " ") + f;
  return out;
}

std::vector<std::string> cpu_features_missing(const std::string& recorded) {
  const std::set<std::string> here = this_cpu();
  std::vector<std::string> missing;
  if (here.empty()) return missing;  // no /proc/cpuinfo: nothing to compare with
  for (const auto& f : split(recorded))
    if (!here.count(f) && about_instructions(f)) missing.push_back(f);
  return missing;
}

}  // namespace ckrr
