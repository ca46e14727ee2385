#include "gui/models/TimeFormat.h"

#include <cmath>

namespace ckrr::gui {

QString formatNs(double ns) {
  const double a = std::abs(ns);
  if (a < 1e3) return QStringLiteral("%1 ns").arg(ns, 0, 'f', 0);
  if (a < 1e6) return QStringLiteral("%1 us").arg(ns / 1e3, 0, 'f', a < 1e4 ? 2 : 1);
  if (a < 1e9) return QStringLiteral("%1 ms").arg(ns / 1e6, 0, 'f', a < 1e7 ? 3 : 2);
  return QStringLiteral("%1 s").arg(ns / 1e9, 0, 'f', 3);
}

QString formatPos(TimelineModel::AxisUnit unit, double pos) {
  if (unit == TimelineModel::AxisUnit::Sequence)
    return QStringLiteral("#%1").arg(static_cast<qulonglong>(std::llround(pos)));
  return formatNs(pos);
}

double niceStep(double min_step) {
  if (min_step <= 0) return 1;
  const double mag = std::pow(10.0, std::floor(std::log10(min_step)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= min_step) return m * mag;
  return 10 * mag;
}

}  // namespace ckrr::gui
