#pragma once
// Colours of the timeline lanes, shared by the timeline, the overview and the tests that check
// rendered pixels.
#include <QColor>

#include "gui/models/Lane.h"

namespace ckrr::gui {

inline QColor laneColor(Lane lane) {
  switch (lane) {
    case Lane::Syscalls:
      return QColor(0x35, 0x6f, 0xb0);  // blue
    case Lane::Signals:
      return QColor(0xe0, 0x7b, 0x1a);  // orange
    case Lane::ExecMmap:
      return QColor(0x2e, 0x9e, 0x57);  // green
    case Lane::Tasks:
      return QColor(0x8a, 0x45, 0xad);  // purple
  }
  return Qt::black;
}
inline QColor errorColor() {
  return QColor(0xd6, 0x2b, 0x2b);
}
inline QColor checkpointColor() {
  return QColor(0x0e, 0x8a, 0x8a);
}
inline QColor bookmarkColor() {
  return QColor(0xd4, 0xa0, 0x00);
}
inline QColor selectionColor() {
  return QColor(0x10, 0x10, 0x10);
}
inline QColor timelineBackground() {
  return QColor(0xfb, 0xfb, 0xfb);
}

}  // namespace ckrr::gui
