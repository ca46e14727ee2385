#pragma once
// Processes and their threads as a tree (process -> threads), with event counts.
#include <QAbstractItemModel>

namespace ckrr::gui {

class TimelineModel;

class ThreadModel : public QAbstractItemModel {
  Q_OBJECT

 public:
  enum Column { Name, Id, Events, ColumnCount };
  static constexpr int TidRole = Qt::UserRole + 1;  // thread rows: the tid; process rows: none

  explicit ThreadModel(QObject* parent = nullptr);
  void setSource(const TimelineModel* model);

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;

 private:
  // internalId: 0 for a process row, process index + 1 for its thread rows.
  const TimelineModel* model_ = nullptr;
};

}  // namespace ckrr::gui
