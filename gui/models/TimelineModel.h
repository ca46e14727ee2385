#pragma once
// Every event of a trace as in-memory columns, loaded from timeline.db once. Painting and
// filtering work on these arrays (binary search + per-pixel aggregation), never on SQL, so a
// 10-million-event recording stays smooth.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gui/models/Lane.h"

namespace ckrr::gui {

class TraceDb;

struct ThreadInfo {
  int32_t tid = 0;
  int32_t pid = 0;
  std::string name;
  uint64_t events = 0;
};

struct ProcessInfo {
  int32_t pid = 0;
  std::string name;          // the name of its first thread
  std::vector<int> threads;  // indexes into TimelineModel::threads()
};

struct CheckpointMark {
  int64_t id = 0;
  uint64_t seq = 0;
  double pos = 0;
};

struct BookmarkMark {
  int64_t id = 0;
  uint64_t seq = 0;
  double pos = 0;
  std::string note;
};

// The events of one lane of one thread that fall into one pixel column.
struct PixelBin {
  uint32_t count = 0;
  uint32_t errors = 0;
  uint32_t first = 0;  // event index of the first one (valid when count > 0)
};

class TimelineModel {
 public:
  // Where the horizontal axis comes from: recording time, or the event number when the trace
  // carries no usable times (all equal), so it still spreads out.
  enum class AxisUnit { Nanoseconds, Sequence };

  // Reads the events, threads, checkpoints and bookmarks tables. Throws ckrr::TraceError.
  void load(const TraceDb& db);
  void reloadBookmarks(const TraceDb& db);

  size_t eventCount() const { return seq_.size(); }
  AxisUnit axisUnit() const { return unit_; }
  double begin() const { return begin_; }
  double end() const { return end_; }

  const std::vector<ThreadInfo>& threads() const { return threads_; }
  const std::vector<ProcessInfo>& processes() const { return processes_; }
  const std::vector<CheckpointMark>& checkpoints() const { return checkpoints_; }
  const std::vector<BookmarkMark>& bookmarks() const { return bookmarks_; }
  const std::vector<std::string>& names() const { return names_; }
  std::optional<int> threadIndexOfTid(int32_t tid) const;

  // Column access by event index (0 .. eventCount-1, in seq order).
  uint64_t seq(uint32_t i) const { return seq_[i]; }
  double pos(uint32_t i) const {
    return static_cast<double>(unit_ == AxisUnit::Sequence ? seq_[i] : time_[i]);
  }
  uint64_t timeNs(uint32_t i) const { return time_[i]; }
  int threadOf(uint32_t i) const { return static_cast<int>(thread_[i]); }
  int kind(uint32_t i) const { return flags_[i] & kKindMask; }
  bool isError(uint32_t i) const { return (flags_[i] & kErrorBit) != 0; }
  Lane lane(uint32_t i) const { return static_cast<Lane>(lane_[i]); }
  std::string_view name(uint32_t i) const { return names_[name_[i]]; }
  uint16_t nameId(uint32_t i) const { return name_[i]; }
  std::optional<uint32_t> indexOfSeq(uint64_t seq) const;
  // Axis position of an event by seq (checkpoints, bookmarks); nullopt if unknown.
  std::optional<double> posOfSeq(uint64_t seq) const;

  // Aggregates lane events of a thread into `width` pixel bins starting at time t0, each
  // ns_per_px wide. O(width * log n).
  void aggregate(int thread, Lane lane, double t0, double ns_per_px, int width,
                 std::vector<PixelBin>& out) const;
  // The lane event nearest to t within max_dist (axis units), if any.
  std::optional<uint32_t> nearest(int thread, Lane lane, double t, double max_dist) const;
  // Whole-recording event density in `bins` equal time slices (overview strip).
  std::vector<uint32_t> density(int bins) const;

 private:
  static constexpr uint8_t kKindMask = 0x0f;
  static constexpr uint8_t kErrorBit = 0x80;
  struct LaneEvents {
    std::vector<uint32_t> idx;         // event indexes, sorted by pos
    std::vector<double> pos;           // their positions: binary searches stay in one array
    std::vector<uint32_t> err_prefix;  // err_prefix[k] = errors among idx[0..k)
  };
  const LaneEvents& laneEvents(int thread, Lane lane) const {
    return lanes_[static_cast<size_t>(thread) * kThreadLaneCount + static_cast<size_t>(lane)];
  }
  size_t lowerBound(const LaneEvents& le, double t) const;

  AxisUnit unit_ = AxisUnit::Nanoseconds;
  double begin_ = 0, end_ = 1;
  std::vector<uint64_t> seq_;
  std::vector<uint64_t> time_;
  std::vector<uint32_t> thread_;
  std::vector<uint16_t> name_;
  std::vector<uint8_t> flags_;
  std::vector<uint8_t> lane_;
  std::vector<std::string> names_;
  std::vector<ThreadInfo> threads_;
  std::vector<ProcessInfo> processes_;
  std::vector<LaneEvents> lanes_;
  std::vector<CheckpointMark> checkpoints_;
  std::vector<BookmarkMark> bookmarks_;
};

}  // namespace ckrr::gui
