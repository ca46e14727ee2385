#include "gui/models/EventTableModel.h"

#include <QBrush>
#include <QColor>
#include <QRegularExpression>
#include <algorithm>
#include <climits>

#include "decoder/EventDecoder.h"
#include "gui/models/EventSource.h"
#include "gui/models/TimeFormat.h"
#include "gui/models/TimelineModel.h"
#include "gui/models/TraceDb.h"

namespace ckrr::gui {

EventTableModel::EventTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void EventTableModel::setSource(const TimelineModel* model, const TraceDb* db,
                                EventSource* events) {
  beginResetModel();
  model_ = model;
  db_ = db;
  events_ = events;
  cache_.clear();
  rebuild();
  endResetModel();
}

void EventTableModel::setFilter(const EventFilter& f) {
  beginResetModel();
  filter_ = f;
  rebuild();
  endResetModel();
}

void EventTableModel::rebuild() {
  match_.clear();
  all_ = filter_.isEmpty();
  if (!model_ || all_) return;

  // Which interned names pass: a per-name table makes the per-event test one lookup.
  std::vector<uint8_t> name_ok(model_->names().size() + 1, 1);
  const QStringList wanted = filter_.names.split(',', Qt::SkipEmptyParts);
  if (!wanted.isEmpty()) {
    std::vector<QRegularExpression> res;
    for (const QString& w : wanted)
      res.emplace_back(QRegularExpression::wildcardToRegularExpression(w.trimmed()),
                       QRegularExpression::CaseInsensitiveOption);
    for (size_t n = 0; n < model_->names().size(); ++n) {
      const QString name = QString::fromStdString(model_->names()[n]);
      name_ok[n] = std::any_of(res.begin(), res.end(), [&](const QRegularExpression& re) {
        return re.match(name).hasMatch();
      });
    }
  }
  std::optional<int> thread;
  if (filter_.tid) {
    thread = model_->threadIndexOfTid(*filter_.tid);
    if (!thread) return;  // no such thread: nothing matches
  }
  const size_t n = model_->eventCount();
  for (uint32_t i = 0; i < n; ++i) {
    if (!name_ok[std::min<size_t>(model_->nameId(i), name_ok.size() - 1)]) continue;
    if (thread && model_->threadOf(i) != *thread) continue;
    if (filter_.errors_only && !model_->isError(i)) continue;
    if (filter_.range &&
        (model_->pos(i) < filter_.range->first || model_->pos(i) > filter_.range->second))
      continue;
    match_.push_back(i);
  }
}

uint64_t EventTableModel::seqAt(int row) const {
  if (!model_ || row < 0 || row >= rowCount()) return 0;
  return model_->seq(eventIndex(row));
}

int EventTableModel::rowOfSeq(uint64_t seq) const {
  if (!model_) return -1;
  auto i = model_->indexOfSeq(seq);
  if (!i) return -1;
  if (all_) return static_cast<int>(*i);
  auto it = std::lower_bound(match_.begin(), match_.end(), *i);
  if (it == match_.end() || *it != *i) return -1;
  return static_cast<int>(it - match_.begin());
}

int EventTableModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid() || !model_) return 0;
  const size_t n = all_ ? model_->eventCount() : match_.size();
  return static_cast<int>(std::min<size_t>(n, INT_MAX));
}

int EventTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

const EventTableModel::Detail* EventTableModel::detail(uint32_t event_index) const {
  if (auto* d = cache_.object(event_index)) return d;
  auto* d = new Detail;
  if (db_) {
    if (auto row = db_->event(model_->seq(event_index))) {
      d->result = row->result;
      d->summary = QString::fromStdString(row->name);
    }
  }
  if (events_) {
    if (auto ev = events_->load(model_->seq(event_index), nullptr))
      d->summary = QString::fromStdString(describe_event(*ev));
  }
  cache_.insert(event_index, d);
  return d;
}

QVariant EventTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.parent().isValid() || !model_ || index.row() >= rowCount() ||
      index.column() >= ColumnCount)
    return {};
  const uint32_t i = eventIndex(index.row());
  if (role == SeqRole) return QVariant::fromValue<qulonglong>(model_->seq(i));
  if (role == Qt::ForegroundRole)
    return model_->isError(i) ? QVariant(QBrush(QColor(0xc0, 0x20, 0x20))) : QVariant();
  if (role == Qt::TextAlignmentRole) {
    const int c = index.column();
    return (c == Seq || c == Thread || c == Result || c == Time)
               ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
               : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
  }
  if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
  switch (index.column()) {
    case Seq:
      return QVariant::fromValue<qulonglong>(model_->seq(i));
    case Time:
      return formatNs(static_cast<double>(model_->timeNs(i)));
    case Thread:
      return model_->threads()[model_->threadOf(i)].tid;
    case Name:
      return QString::fromStdString(std::string(model_->name(i)));
    case Result: {
      // Addresses (mmap, brk) read better in hex; counts and fds in decimal.
      const qint64 r = detail(i)->result;
      if (r >= (qint64{1} << 32)) return QStringLiteral("0x%1").arg(r, 0, 16);
      return QVariant::fromValue<qlonglong>(r);
    }
    case Summary:
      return detail(i)->summary;
  }
  return {};
}

QVariant EventTableModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case Seq:
      return tr("Event");
    case Time:
      return tr("Time");
    case Thread:
      return tr("Thread");
    case Name:
      return tr("Name");
    case Result:
      return tr("Result");
    case Summary:
      return tr("Summary");
  }
  return {};
}

}  // namespace ckrr::gui
