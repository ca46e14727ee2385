#include "gui/models/TimelineModel.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <unordered_map>

#include "core/Error.h"
#include "gui/models/TraceDb.h"

namespace ckrr::gui {
namespace {

struct SvHash {
  using is_transparent = void;  // lets the interning map look up string_views without copying
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

void TimelineModel::load(const TraceDb& db) {
  *this = TimelineModel{};
  sqlite3* h = db.handle();

  std::unordered_map<int32_t, uint32_t> tid_index;
  for (const auto& t : db.threads()) {
    tid_index.emplace(t.tid, static_cast<uint32_t>(threads_.size()));
    threads_.push_back({t.tid, t.pid, t.name, 0});
  }

  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, "SELECT count(*) FROM events", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const auto n = static_cast<size_t>(sqlite3_column_int64(st, 0));
    seq_.reserve(n);
    time_.reserve(n);
    thread_.reserve(n);
    name_.reserve(n);
    flags_.reserve(n);
    lane_.reserve(n);
  }
  sqlite3_finalize(st);

  if (sqlite3_prepare_v2(h, "SELECT seq, tid, kind, name, result, time_ns FROM events ORDER BY seq",
                         -1, &st, nullptr) != SQLITE_OK)
    throw TraceError(db.path().string() + ": " + sqlite3_errmsg(h));

  std::unordered_map<std::string, uint16_t, SvHash, std::equal_to<>> name_ids;
  std::vector<uint8_t> lane_of_name;  // the lane depends on (kind, name); cache it per name+kind
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const auto seq = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
    const auto tid = static_cast<int32_t>(sqlite3_column_int64(st, 1));
    const int kind = sqlite3_column_int(st, 2) & kKindMask;
    const auto* np = reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    const std::string_view name = np ? std::string_view(np, sqlite3_column_bytes(st, 3)) : "";
    const int64_t result = sqlite3_column_int64(st, 4);
    const auto time = static_cast<uint64_t>(sqlite3_column_int64(st, 5));

    auto ti = tid_index.find(tid);
    if (ti == tid_index.end()) {
      // Not in the threads table (incomplete index): its own process until we know better.
      ti = tid_index.emplace(tid, static_cast<uint32_t>(threads_.size())).first;
      threads_.push_back({tid, tid, {}, 0});
    }
    uint16_t nid;
    auto ni = name_ids.find(name);
    if (ni != name_ids.end()) {
      nid = ni->second;
    } else if (names_.size() < 0xffff) {
      nid = static_cast<uint16_t>(names_.size());
      names_.emplace_back(name);
      name_ids.emplace(std::string(name), nid);
    } else {
      nid = 0xffff;  // absurdly many distinct names: share one overflow slot
      if (names_.size() == 0xffff) names_.emplace_back("(other)");
    }
    const uint32_t key = static_cast<uint32_t>(nid) * 8 + static_cast<uint32_t>(kind & 7);
    if (key >= lane_of_name.size()) lane_of_name.resize(key + 1, 0xff);
    if (lane_of_name[key] == 0xff)
      lane_of_name[key] = static_cast<uint8_t>(classifyLane(kind, names_[nid]));

    seq_.push_back(seq);
    time_.push_back(time);
    thread_.push_back(ti->second);
    name_.push_back(nid);
    flags_.push_back(static_cast<uint8_t>(kind | (isErrorResult(kind, result) ? kErrorBit : 0)));
    lane_.push_back(lane_of_name[key]);
    threads_[ti->second].events++;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) throw TraceError(db.path().string() + ": " + sqlite3_errmsg(h));

  // Axis: recording time, unless every event has the same time (index without times).
  if (!time_.empty()) {
    auto [lo, hi] = std::minmax_element(time_.begin(), time_.end());
    if (*lo == *hi) unit_ = AxisUnit::Sequence;
  }

  lanes_.assign(threads_.size() * kThreadLaneCount, {});
  {
    std::vector<uint32_t> counts(lanes_.size(), 0);
    for (size_t i = 0; i < seq_.size(); ++i) counts[thread_[i] * kThreadLaneCount + lane_[i]]++;
    for (size_t l = 0; l < lanes_.size(); ++l) lanes_[l].idx.reserve(counts[l]);
  }
  for (uint32_t i = 0; i < seq_.size(); ++i)
    lanes_[thread_[i] * kThreadLaneCount + lane_[i]].idx.push_back(i);
  for (auto& le : lanes_) {
    auto by_pos = [this](uint32_t a, uint32_t b) { return pos(a) < pos(b); };
    // Times normally grow with seq (one thread runs at a time); sort only if they do not.
    if (!std::is_sorted(le.idx.begin(), le.idx.end(), by_pos))
      std::stable_sort(le.idx.begin(), le.idx.end(), by_pos);
    le.pos.resize(le.idx.size());
    for (size_t k = 0; k < le.idx.size(); ++k) le.pos[k] = pos(le.idx[k]);
    le.err_prefix.resize(le.idx.size() + 1);
    le.err_prefix[0] = 0;
    for (size_t k = 0; k < le.idx.size(); ++k)
      le.err_prefix[k + 1] = le.err_prefix[k] + (isError(le.idx[k]) ? 1 : 0);
  }

  for (size_t t = 0; t < threads_.size(); ++t) {
    auto it = std::find_if(processes_.begin(), processes_.end(),
                           [&](const ProcessInfo& p) { return p.pid == threads_[t].pid; });
    if (it == processes_.end()) {
      processes_.push_back({threads_[t].pid, threads_[t].name, {}});
      it = processes_.end() - 1;
    }
    it->threads.push_back(static_cast<int>(t));
  }

  if (!seq_.empty()) {
    begin_ = end_ = pos(0);
    for (uint32_t i = 0; i < seq_.size(); ++i) {
      begin_ = std::min(begin_, pos(i));
      end_ = std::max(end_, pos(i));
    }
  }
  for (const auto& c : db.checkpoints()) {
    const double p = posOfSeq(c.seq).value_or(
        unit_ == AxisUnit::Sequence ? static_cast<double>(c.seq) : static_cast<double>(c.time_ns));
    checkpoints_.push_back({c.id, c.seq, p});
  }
  reloadBookmarks(db);
}

void TimelineModel::reloadBookmarks(const TraceDb& db) {
  bookmarks_.clear();
  for (const auto& b : db.bookmarks())
    bookmarks_.push_back({b.id, b.seq, posOfSeq(b.seq).value_or(begin_), b.note});
}

std::optional<int> TimelineModel::threadIndexOfTid(int32_t tid) const {
  for (size_t i = 0; i < threads_.size(); ++i)
    if (threads_[i].tid == tid) return static_cast<int>(i);
  return std::nullopt;
}

std::optional<uint32_t> TimelineModel::indexOfSeq(uint64_t seq) const {
  auto it = std::lower_bound(seq_.begin(), seq_.end(), seq);
  if (it == seq_.end() || *it != seq) return std::nullopt;
  return static_cast<uint32_t>(it - seq_.begin());
}

std::optional<double> TimelineModel::posOfSeq(uint64_t seq) const {
  auto i = indexOfSeq(seq);
  if (!i) return std::nullopt;
  return pos(*i);
}

size_t TimelineModel::lowerBound(const LaneEvents& le, double t) const {
  return static_cast<size_t>(std::lower_bound(le.pos.begin(), le.pos.end(), t) - le.pos.begin());
}

void TimelineModel::aggregate(int thread, Lane lane, double t0, double ns_per_px, int width,
                              std::vector<PixelBin>& out) const {
  out.assign(static_cast<size_t>(std::max(width, 0)), PixelBin{});
  if (thread < 0 || static_cast<size_t>(thread) >= threads_.size() || width <= 0) return;
  const LaneEvents& le = laneEvents(thread, lane);
  const size_t n = le.idx.size();
  size_t k = lowerBound(le, t0);
  // Jump from event to event: cost grows with min(width, events in view), not with both.
  while (k < n) {
    const double p = le.pos[k];
    const auto bin = static_cast<int64_t>(std::floor((p - t0) / ns_per_px));
    if (bin >= width) break;
    const double hi = t0 + static_cast<double>(bin + 1) * ns_per_px;
    auto e = static_cast<size_t>(
        std::lower_bound(le.pos.begin() + static_cast<ptrdiff_t>(k), le.pos.end(), hi) -
        le.pos.begin());
    if (e == k) e = k + 1;  // rounding at a bin edge: the event still lands somewhere
    PixelBin& b = out[static_cast<size_t>(std::max<int64_t>(bin, 0))];
    if (b.count == 0) b.first = le.idx[k];
    b.count += static_cast<uint32_t>(e - k);
    b.errors += le.err_prefix[e] - le.err_prefix[k];
    k = e;
  }
}

std::optional<uint32_t> TimelineModel::nearest(int thread, Lane lane, double t,
                                               double max_dist) const {
  if (thread < 0 || static_cast<size_t>(thread) >= threads_.size()) return std::nullopt;
  const LaneEvents& le = laneEvents(thread, lane);
  const size_t k = lowerBound(le, t);
  std::optional<uint32_t> best;
  double best_d = max_dist;
  for (size_t c : {k, k - 1}) {  // k - 1 wraps to a huge value when k == 0: skipped below
    if (c >= le.idx.size()) continue;
    const double d = std::abs(le.pos[c] - t);
    if (d <= best_d) {
      best_d = d;
      best = le.idx[c];
    }
  }
  return best;
}

std::vector<uint32_t> TimelineModel::density(int bins) const {
  std::vector<uint32_t> out(static_cast<size_t>(std::max(bins, 1)), 0);
  const double span = std::max(end_ - begin_, 1.0);
  for (uint32_t i = 0; i < seq_.size(); ++i) {
    auto b = static_cast<int64_t>((pos(i) - begin_) / span * static_cast<double>(out.size()));
    out[static_cast<size_t>(std::clamp<int64_t>(b, 0, static_cast<int64_t>(out.size()) - 1))]++;
  }
  return out;
}

}  // namespace ckrr::gui
