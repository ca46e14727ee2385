#pragma once
// Bookmarks (event + note) stored in the trace's timeline.db; notes are editable in place.
#include <QAbstractTableModel>
#include <vector>

#include "gui/models/TraceDb.h"

namespace ckrr::gui {

class BookmarkModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { Seq, Note, ColumnCount };
  static constexpr int SeqRole = Qt::UserRole + 1;

  explicit BookmarkModel(QObject* parent = nullptr);
  void setDb(TraceDb* db);
  void reload();
  // Writes to the database; on failure returns false and sets error (read-only trace...).
  bool addBookmark(uint64_t seq, const QString& note, QString* error = nullptr);
  bool removeBookmark(int row, QString* error = nullptr);
  uint64_t seqAt(int row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role) override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;

 signals:
  void bookmarksChanged();
  void writeFailed(const QString& error);

 private:
  TraceDb* db_ = nullptr;
  std::vector<DbBookmark> rows_;
};

}  // namespace ckrr::gui
