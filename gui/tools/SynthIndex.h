#pragma once
// Writes a synthetic trace directory (VERSION + timeline.db, no events.log) for GUI tests and
// benchmarks: deterministic for a given seed, shaped like a real recording (per-process exec
// first, bursts of syscalls per thread, some errors, signals, checkpoints and bookmarks).
#include <cstdint>
#include <filesystem>

namespace ckrr::gui {

struct SynthParams {
  uint64_t events = 10000;
  int threads = 4;
  int threads_per_process = 3;
  int checkpoints = 8;
  int bookmarks = 3;
  uint64_t seed = 1;
};

// Creates dir if needed and (re)writes timeline.db in it. Throws ckrr::Error.
void writeSynthTrace(const std::filesystem::path& dir, const SynthParams& p);


}  // namespace ckrr::gui
