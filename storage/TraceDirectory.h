#pragma once
// The trace directory: private (0700), versioned.
//   VERSION        "ckrr-trace 1\n"
//   events.log     EventLogWriter/Reader
//   timeline.db    TimelineIndex
//   files/         FileStore: content-addressed copies of executed and mapped files
//   checkpoints/   checkpoint images (see the checkpoint issue)
#include <filesystem>
#include <string>

namespace ckrr {

class TraceDirectory {
 public:
  static constexpr int kFormatVersion = 2;

  // Creates dir (and parents) with mode 0700. If dir exists and is not empty: without force,
  // throws Error("<dir> already exists (use --force to replace it)"); with force, removes it
  // first, but only if it is a ckrr trace (has VERSION) or empty, else throws.
  static TraceDirectory create(const std::filesystem::path& dir, bool force);
  // Opens an existing trace; throws TraceError when dir is missing, not a trace, or of another
  // format version (message names the directory and what was found).
  static TraceDirectory open(const std::filesystem::path& dir);
  // A fresh directory name under ./ckrr-traces/: "<program basename>-<N>" with the first free N.
  static std::filesystem::path default_location(const std::string& program);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path events_log() const { return dir_ / "events.log"; }
  std::filesystem::path index_db() const { return dir_ / "timeline.db"; }
  std::filesystem::path files_dir() const { return dir_ / "files"; }
  std::filesystem::path checkpoints_dir() const { return dir_ / "checkpoints"; }

 private:
  explicit TraceDirectory(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace ckrr
