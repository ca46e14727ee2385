#include "gui/models/ThreadModel.h"

#include "gui/models/TimelineModel.h"

namespace ckrr::gui {

ThreadModel::ThreadModel(QObject* parent) : QAbstractItemModel(parent) {}

void ThreadModel::setSource(const TimelineModel* model) {
  beginResetModel();
  model_ = model;
  endResetModel();
}

QModelIndex ThreadModel::index(int row, int column, const QModelIndex& parent) const {
  if (!hasIndex(row, column, parent)) return {};
  if (!parent.isValid()) return createIndex(row, column, quintptr{0});
  return createIndex(row, column, static_cast<quintptr>(parent.row() + 1));
}

QModelIndex ThreadModel::parent(const QModelIndex& child) const {
  if (!child.isValid() || child.internalId() == 0) return {};
  return createIndex(static_cast<int>(child.internalId() - 1), 0, quintptr{0});
}

int ThreadModel::rowCount(const QModelIndex& parent) const {
  if (!model_) return 0;
  if (!parent.isValid()) return static_cast<int>(model_->processes().size());
  if (parent.internalId() != 0 || parent.column() != 0) return 0;  // threads have no children
  return static_cast<int>(model_->processes()[parent.row()].threads.size());
}

int ThreadModel::columnCount(const QModelIndex&) const {
  return ColumnCount;
}

QVariant ThreadModel::data(const QModelIndex& index, int role) const {
  if (!model_ || !index.isValid()) return {};
  if (index.internalId() == 0) {
    const auto& p = model_->processes()[index.row()];
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
      case Name:
        return tr("process %1").arg(QString::fromStdString(p.name));
      case Id:
        return p.pid;
      case Events: {
        qulonglong n = 0;
        for (int t : p.threads) n += model_->threads()[t].events;
        return n;
      }
    }
    return {};
  }
  const auto& p = model_->processes()[index.internalId() - 1];
  const auto& t = model_->threads()[p.threads[index.row()]];
  if (role == TidRole) return t.tid;
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case Name:
      return t.name.empty() ? tr("thread") : QString::fromStdString(t.name);
    case Id:
      return t.tid;
    case Events:
      return QVariant::fromValue<qulonglong>(t.events);
  }
  return {};
}

QVariant ThreadModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case Name:
      return tr("Name");
    case Id:
      return tr("PID/TID");
    case Events:
      return tr("Events");
  }
  return {};
}

}  // namespace ckrr::gui
