#include "gui/widgets/OverviewStrip.h"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "gui/models/TimelineModel.h"
#include "gui/widgets/LaneStyle.h"

namespace ckrr::gui {

OverviewStrip::OverviewStrip(QWidget* parent) : QWidget(parent) {
  setMinimumHeight(36);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  setCursor(Qt::PointingHandCursor);
  setToolTip(tr("Event density over the whole recording; click or drag to move the timeline"));
}

void OverviewStrip::setModel(const TimelineModel* model) {
  model_ = model;
  density_ = model ? model->density(kBins) : std::vector<uint32_t>{};
  update();
}

void OverviewStrip::setVisibleRange(double begin, double end) {
  vis_begin_ = begin;
  vis_end_ = end;
  update();
}

double OverviewStrip::xForPos(double pos) const {
  if (!model_) return 0;
  const double span = std::max(model_->end() - model_->begin(), 1.0);
  return (pos - model_->begin()) / span * (width() - 1);
}

double OverviewStrip::posForX(double x) const {
  if (!model_) return 0;
  const double span = std::max(model_->end() - model_->begin(), 1.0);
  return model_->begin() + x / std::max(width() - 1, 1) * span;
}

void OverviewStrip::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), QColor(0xf4, 0xf4, 0xf4));
  p.setPen(QColor(0xc8, 0xc8, 0xc8));
  p.drawRect(rect().adjusted(0, 0, -1, -1));
  if (!model_ || density_.empty()) return;

  // Resample the fixed bins to pixels (max per pixel keeps spikes visible), log scale.
  const int w = width();
  std::vector<uint32_t> col(static_cast<size_t>(w), 0);
  for (size_t b = 0; b < density_.size(); ++b) {
    const auto x = static_cast<size_t>(b * static_cast<size_t>(w) / density_.size());
    col[x] = std::max(col[x], density_[b]);
  }
  const double peak = std::log1p(*std::max_element(col.begin(), col.end()));
  const int base = height() - 4, hmax = height() - 10;
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(0x6f, 0x8f, 0xb8));
  for (int x = 0; x < w; ++x) {
    if (col[x] == 0) continue;
    const int h = std::max(1, static_cast<int>(std::log1p(col[x]) / std::max(peak, 1e-9) * hmax));
    p.drawRect(x, base - h, 1, h);
  }
  p.setBrush(checkpointColor());
  for (const auto& c : model_->checkpoints()) p.drawRect(static_cast<int>(xForPos(c.pos)), 1, 1, 5);
  p.setBrush(bookmarkColor());
  for (const auto& b : model_->bookmarks())
    p.drawRect(static_cast<int>(xForPos(b.pos)), height() - 4, 2, 3);

  if (vis_end_ > vis_begin_) {
    const double x0 = std::clamp(xForPos(vis_begin_), 0.0, w - 1.0);
    const double x1 = std::clamp(xForPos(vis_end_), 0.0, w - 1.0);
    const QRectF box(x0, 1, std::max(x1 - x0, 3.0), height() - 3);
    p.setBrush(QColor(0x33, 0x77, 0xdd, 40));
    p.setPen(QPen(QColor(0x22, 0x55, 0xbb), 1.5));
    p.drawRect(box);
  }
}

void OverviewStrip::mousePressEvent(QMouseEvent* e) {
  if (e->button() == Qt::LeftButton) emit centerRequested(posForX(e->position().x()));
}

void OverviewStrip::mouseMoveEvent(QMouseEvent* e) {
  if (e->buttons() & Qt::LeftButton) emit centerRequested(posForX(e->position().x()));
}

}  // namespace ckrr::gui
