#include "cli/CpuCheck.h"

#include <iostream>

#include "core/CpuFeatures.h"
#include "core/Error.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

void require_recorded_cpu(const std::string& trace_dir, bool ignore) {
  TraceDirectory trace = TraceDirectory::open(trace_dir);
  auto index = TimelineIndex::open(trace.index_db(), true);
  const auto recorded = index->meta("cpu_features");
  if (!recorded) return;  // recorded before ckrr kept them
  const auto missing = cpu_features_missing(*recorded);
  if (missing.empty()) return;
  std::string names;
  for (const auto& m : missing) names += (names.empty() ? "" : " ") + m;
  const std::string what =
      trace_dir + " was recorded on a CPU with features this one lacks: " + names +
      ". Programs choose code by CPUID, so the replay would take " + "other paths and diverge";
  if (!ignore) throw Error(what + " (--ignore-cpu-features tries anyway)");
  std::cerr << "ckrr: warning: " << what << "\n";
}

}  // namespace ckrr
