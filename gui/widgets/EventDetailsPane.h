#pragma once
// Everything about the selected event: name, decoded arguments and flags, result/errno, thread,
// time, and the data read or written as hex dumps (from events.log when it is there).
#include <QWidget>
#include <optional>

#include "gui/models/TraceDb.h"
#include "storage/Event.h"

class QTextBrowser;

namespace ckrr::gui {

class TimelineModel;

class EventDetailsPane : public QWidget {
  Q_OBJECT

 public:
  explicit EventDetailsPane(QWidget* parent = nullptr);
  void setModel(const TimelineModel* model) { model_ = model; }
  // row: the index row (nullopt: unknown event); ev: the full payload, or nullopt with
  // payload_error saying why it is missing.
  void setEvent(const std::optional<DbEventRow>& row, const std::optional<Event>& ev,
                const QString& payload_error);
  void clear();
  QString plainText() const;

 private:
  const TimelineModel* model_ = nullptr;
  QTextBrowser* text_;
};

}  // namespace ckrr::gui
