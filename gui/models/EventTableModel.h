#pragma once
// The events matching a filter (syscall names, thread, errors only, time range) as a table. The
// filter runs over TimelineModel's in-memory columns; only the visible rows' result (timeline.db)
// and call text (decoded from events.log through EventSource) are read, with a small cache.
#include <QAbstractTableModel>
#include <QCache>
#include <QString>
#include <optional>
#include <vector>

namespace ckrr::gui {

class EventSource;
class TimelineModel;
class TraceDb;

struct EventFilter {
  QString names;               // comma-separated names, '*' wildcards allowed; empty: all
  std::optional<int32_t> tid;  // only this thread
  bool errors_only = false;
  std::optional<std::pair<double, double>> range;  // axis positions, inclusive
  bool isEmpty() const { return names.trimmed().isEmpty() && !tid && !errors_only && !range; }
};

class EventTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { Seq, Time, Thread, Name, Result, Summary, ColumnCount };
  static constexpr int SeqRole = Qt::UserRole + 1;

  explicit EventTableModel(QObject* parent = nullptr);
  // events (may be null: no call text) gives the Summary column its decoded calls.
  void setSource(const TimelineModel* model, const TraceDb* db, EventSource* events = nullptr);
  void setFilter(const EventFilter& f);
  const EventFilter& filter() const { return filter_; }

  uint64_t seqAt(int row) const;
  // Row showing seq, or -1 when it is filtered out.
  int rowOfSeq(uint64_t seq) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;

 private:
  struct Detail {
    qint64 result = 0;
    QString summary;
  };
  void rebuild();
  uint32_t eventIndex(int row) const { return all_ ? static_cast<uint32_t>(row) : match_[row]; }
  const Detail* detail(uint32_t event_index) const;

  const TimelineModel* model_ = nullptr;
  const TraceDb* db_ = nullptr;
  EventSource* events_ = nullptr;
  EventFilter filter_;
  bool all_ = true;              // no filter: row == event index, no list needed
  std::vector<uint32_t> match_;  // event indexes, ascending (so ascending seq)
  mutable QCache<uint32_t, Detail> cache_{4096};
};

}  // namespace ckrr::gui
