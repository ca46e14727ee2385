#include "gui/models/BookmarkModel.h"

#include <algorithm>
#include <exception>

namespace ckrr::gui {

BookmarkModel::BookmarkModel(QObject* parent) : QAbstractTableModel(parent) {}

void BookmarkModel::setDb(TraceDb* db) {
  db_ = db;
  reload();
}

void BookmarkModel::reload() {
  beginResetModel();
  rows_ = db_ ? db_->bookmarks() : std::vector<DbBookmark>{};
  endResetModel();
}

bool BookmarkModel::addBookmark(uint64_t seq, const QString& note, QString* error) {
  if (!db_) return false;
  try {
    const int64_t id = db_->addBookmark(seq, note.toStdString());
    // Keep rows sorted by seq (as the database returns them) without a full reset.
    DbBookmark b{id, seq, note.toStdString()};
    auto it = std::upper_bound(rows_.begin(), rows_.end(), b, [](const auto& a, const auto& c) {
      return a.seq < c.seq || (a.seq == c.seq && a.id < c.id);
    });
    const int row = static_cast<int>(it - rows_.begin());
    beginInsertRows({}, row, row);
    rows_.insert(it, b);
    endInsertRows();
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    emit writeFailed(QString::fromUtf8(e.what()));
    return false;
  }
  emit bookmarksChanged();
  return true;
}

bool BookmarkModel::removeBookmark(int row, QString* error) {
  if (!db_ || row < 0 || row >= rowCount()) return false;
  try {
    db_->removeBookmark(rows_[row].id);
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    emit writeFailed(QString::fromUtf8(e.what()));
    return false;
  }
  beginRemoveRows({}, row, row);
  rows_.erase(rows_.begin() + row);
  endRemoveRows();
  emit bookmarksChanged();
  return true;
}

uint64_t BookmarkModel::seqAt(int row) const {
  return row >= 0 && row < rowCount() ? rows_[row].seq : 0;
}

int BookmarkModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int BookmarkModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant BookmarkModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& b = rows_[index.row()];
  if (role == SeqRole) return QVariant::fromValue<qulonglong>(b.seq);
  if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
  if (index.column() == Seq) return QVariant::fromValue<qulonglong>(b.seq);
  if (index.column() == Note) return QString::fromStdString(b.note);
  return {};
}

bool BookmarkModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!db_ || !index.isValid() || index.column() != Note || role != Qt::EditRole) return false;
  auto& b = rows_[index.row()];
  const std::string note = value.toString().toStdString();
  if (note == b.note) return true;
  try {
    db_->setBookmarkNote(b.id, note);
  } catch (const std::exception& e) {
    emit writeFailed(QString::fromUtf8(e.what()));
    return false;
  }
  b.note = note;
  emit dataChanged(index, index, {Qt::DisplayRole, Qt::EditRole});
  emit bookmarksChanged();
  return true;
}

Qt::ItemFlags BookmarkModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  Qt::ItemFlags f = Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemNeverHasChildren;
  if (index.column() == Note && db_ && db_->writable()) f |= Qt::ItemIsEditable;
  return f;
}

QVariant BookmarkModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  return section == Seq ? tr("Event") : tr("Note");
}

}  // namespace ckrr::gui
