#pragma once
// Human text for axis positions and durations ("1.250 ms", "#12345").
#include <QString>
#include <cstdint>

#include "gui/models/TimelineModel.h"

namespace ckrr::gui {

QString formatNs(double ns);                                  // "812 ns", "12.5 us", "3.250 s"
QString formatPos(TimelineModel::AxisUnit unit, double pos);  // time or "#seq"
// A round step (1, 2, 5 x 10^k) at least min_step wide.
double niceStep(double min_step);

}  // namespace ckrr::gui
