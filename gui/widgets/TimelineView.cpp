#include "gui/widgets/TimelineView.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "gui/models/TimeFormat.h"
#include "gui/widgets/LaneStyle.h"

namespace ckrr::gui {
namespace {

constexpr int kDragThreshold = 4;
constexpr size_t kMaxHistory = 100;
constexpr int kHitTolerancePx = 4;

// Bar height inside a lane grows with log2(count) so dense spots stand out without hiding
// single events (one event is already a 3px tick).
int barHeight(uint32_t count, int lane_h) {
  const int h = 3 + static_cast<int>(std::log2(static_cast<double>(count)) * 1.5);
  return std::min(h, lane_h);
}

}  // namespace

TimelineView::TimelineView(QWidget* parent) : QWidget(parent) {
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  setMinimumSize(300, 120);
  setAttribute(Qt::WA_OpaquePaintEvent);
  axis_.setWidth(plotWidth());
}

QSize TimelineView::sizeHint() const {
  return {900, std::min(contentHeight(), 600)};
}

int TimelineView::contentHeight() const {
  return threadsTop() + content_h_;
}

void TimelineView::setModel(const TimelineModel* model) {
  model_ = model;
  selected_seq_.reset();
  range_.reset();
  history_.clear();
  scroll_y_ = 0;
  relayout();
  if (model_) axis_.setBounds(model_->begin(), model_->end());
  axis_.setWidth(plotWidth());
  axis_.fitAll();
  emit historyChanged(false);
  afterViewChange();
  updateGeometry();
}

void TimelineView::relayout() {
  rows_.clear();
  row_of_thread_.clear();
  int y = 0;
  if (model_) {
    row_of_thread_.assign(model_->threads().size(), -1);
    const auto& procs = model_->processes();
    for (size_t p = 0; p < procs.size(); ++p) {
      rows_.push_back({true, static_cast<int>(p), y});
      y += kGroupH;
      for (int t : procs[p].threads) {
        row_of_thread_[t] = static_cast<int>(rows_.size());
        rows_.push_back({false, t, y});
        y += kThreadLaneCount * kLaneH + kRowGap;
      }
    }
  }
  content_h_ = y;
}

QRect TimelineView::laneRect(int thread, Lane lane) const {
  if (!model_ || thread < 0 || static_cast<size_t>(thread) >= row_of_thread_.size()) return {};
  const Row& r = rows_[row_of_thread_[thread]];
  const int y = threadsTop() + r.y - scroll_y_ + static_cast<int>(lane) * kLaneH;
  return QRect(kGutter, y, plotWidth(), kLaneH - 1);
}

QRect TimelineView::globalLaneRect(GlobalLane lane) const {
  return QRect(kGutter, kRuler + static_cast<int>(lane) * kLaneH, plotWidth(), kLaneH - 1);
}

void TimelineView::setView(double start, double ns_per_px) {
  pushHistory();
  axis_.setView(start, ns_per_px);
  afterViewChange();
}

void TimelineView::pushHistory() {
  // One entry per gesture: a burst of wheel steps is one zoom to go back from.
  if (last_push_.isValid() && last_push_.elapsed() < 500) {
    last_push_.restart();
    return;
  }
  last_push_.start();
  history_.emplace_back(axis_.start(), axis_.nsPerPixel());
  if (history_.size() > kMaxHistory) history_.erase(history_.begin());
  emit historyChanged(true);
}

void TimelineView::fitAll() {
  pushHistory();
  axis_.fitAll();
  afterViewChange();
}

void TimelineView::zoomBack() {
  if (history_.empty()) return;
  auto [start, nspp] = history_.back();
  history_.pop_back();
  last_push_.invalidate();
  axis_.setView(start, nspp);
  emit historyChanged(!history_.empty());
  afterViewChange();
}

void TimelineView::zoomToRange() {
  if (!range_) return;
  pushHistory();
  axis_.fit(range_->first, range_->second);
  afterViewChange();
}

void TimelineView::centerOn(double pos) {
  axis_.setView(pos - axis_.nsPerPixel() * plotWidth() / 2, axis_.nsPerPixel());
  afterViewChange();
}

void TimelineView::clearRange() {
  range_.reset();
  update();
}

void TimelineView::zoomAround(double plot_x, double factor) {
  pushHistory();
  axis_.zoomAt(plot_x, factor);
  afterViewChange();
}

void TimelineView::afterViewChange() {
  update();
  emit viewChanged(axis_.start(), axis_.end());
}

void TimelineView::scrollRows(int dy) {
  const int visible = height() - threadsTop();
  scroll_y_ = std::clamp(scroll_y_ + dy, 0, std::max(content_h_ - visible, 0));
  update();
}

void TimelineView::resizeEvent(QResizeEvent*) {
  // Keep the same time span visible when the width changes.
  const double start = axis_.start(), span = axis_.end() - axis_.start();
  axis_.setWidth(plotWidth());
  axis_.setView(start, span / plotWidth());
  scrollRows(0);
  emit viewChanged(axis_.start(), axis_.end());
}

void TimelineView::selectSeq(uint64_t seq) {
  if (!model_) return;
  if (selected_seq_ != seq) {
    selected_seq_ = seq;
    emit selectionChanged(seq);
  }
  if (auto pos = model_->posOfSeq(seq); pos && (*pos < axis_.start() || *pos > axis_.end()))
    centerOn(*pos);
  // Scroll the event's thread row into view.
  if (auto i = model_->indexOfSeq(seq)) {
    const QRect r = laneRect(model_->threadOf(*i), Lane::Syscalls);
    if (r.top() < threadsTop())
      scrollRows(r.top() - threadsTop() - kGroupH);
    else if (r.top() + kThreadLaneCount * kLaneH > height())
      scrollRows(r.top() + kThreadLaneCount * kLaneH - height());
  }
  update();
}

const TimelineView::Row* TimelineView::threadRowAt(int y, Lane* lane) const {
  if (y < threadsTop()) return nullptr;
  const int cy = y - threadsTop() + scroll_y_;
  auto it =
      std::upper_bound(rows_.begin(), rows_.end(), cy, [](int v, const Row& r) { return v < r.y; });
  if (it == rows_.begin()) return nullptr;
  const Row& r = *(it - 1);
  if (r.group) return nullptr;
  const int l = (cy - r.y) / kLaneH;
  if (l >= kThreadLaneCount) return nullptr;
  if (lane) *lane = static_cast<Lane>(l);
  return &r;
}

std::optional<uint64_t> TimelineView::globalSeqAt(QPoint p, QString* tip) const {
  if (!model_ || p.x() < kGutter) return std::nullopt;
  const double t = posForX(p.x());
  const double tol = kHitTolerancePx * axis_.nsPerPixel();
  if (globalLaneRect(GlobalLane::Checkpoints).adjusted(0, 0, 0, 1).contains(p)) {
    const CheckpointMark* best = nullptr;
    for (const auto& c : model_->checkpoints())
      if (std::abs(c.pos - t) <= tol && (!best || std::abs(c.pos - t) < std::abs(best->pos - t)))
        best = &c;
    if (!best) return std::nullopt;
    if (tip) *tip = tr("Checkpoint %1: state after event #%2").arg(best->id).arg(best->seq);
    return best->seq;
  }
  if (globalLaneRect(GlobalLane::Bookmarks).adjusted(0, 0, 0, 1).contains(p)) {
    const BookmarkMark* best = nullptr;
    for (const auto& b : model_->bookmarks())
      if (std::abs(b.pos - t) <= tol && (!best || std::abs(b.pos - t) < std::abs(best->pos - t)))
        best = &b;
    if (!best) return std::nullopt;
    if (tip)
      *tip = tr("Bookmark at #%1: %2").arg(best->seq).arg(QString::fromStdString(best->note));
    return best->seq;
  }
  return std::nullopt;
}

std::optional<uint64_t> TimelineView::seqAt(QPoint p) const {
  if (!model_ || p.x() < kGutter) return std::nullopt;
  if (auto s = globalSeqAt(p, nullptr)) return s;
  Lane lane;
  const Row* row = threadRowAt(p.y(), &lane);
  if (!row) return std::nullopt;
  const double t = posForX(p.x() + 0.5);
  const double tol = kHitTolerancePx * axis_.nsPerPixel();
  if (auto i = model_->nearest(row->index, lane, t, tol)) return model_->seq(*i);
  return std::nullopt;
}

void TimelineView::stepSelection(int dir) {
  if (!model_ || model_->eventCount() == 0) return;
  if (!selected_seq_) {
    selectSeq(model_->seq(0));
    return;
  }
  auto i = model_->indexOfSeq(*selected_seq_);
  if (!i) return;
  const int thread = model_->threadOf(*i);
  // Walk the seq-ordered columns to the next event of the same thread.
  for (int64_t k = static_cast<int64_t>(*i) + dir;
       k >= 0 && k < static_cast<int64_t>(model_->eventCount()); k += dir) {
    if (model_->threadOf(static_cast<uint32_t>(k)) == thread) {
      selectSeq(model_->seq(static_cast<uint32_t>(k)));
      return;
    }
  }
}

// ---- input ----

void TimelineView::mousePressEvent(QMouseEvent* e) {
  if (e->button() != Qt::LeftButton) return QWidget::mousePressEvent(e);
  press_pos_ = e->position().toPoint();
  press_start_ = axis_.start();
  press_pos_t_ = posForX(press_pos_.x());
  drag_ = (e->modifiers() & Qt::ShiftModifier) ? Drag::Range : Drag::Pending;
  if (drag_ == Drag::Range) range_ = std::make_pair(press_pos_t_, press_pos_t_);
}

void TimelineView::mouseMoveEvent(QMouseEvent* e) {
  const QPoint p = e->position().toPoint();
  if (drag_ == Drag::Pending && (p - press_pos_).manhattanLength() >= kDragThreshold) {
    pushHistory();
    drag_ = Drag::Pan;
    setCursor(Qt::ClosedHandCursor);
  }
  if (drag_ == Drag::Pan) {
    axis_.setView(press_start_ - (p.x() - press_pos_.x()) * axis_.nsPerPixel(), axis_.nsPerPixel());
    scrollRows(press_pos_.y() - p.y());
    press_pos_.setY(p.y());
    afterViewChange();
  } else if (drag_ == Drag::Range) {
    const double t = posForX(std::clamp(p.x(), kGutter, width()));
    range_ = std::minmax(press_pos_t_, t);
    update();
  }
}

void TimelineView::mouseReleaseEvent(QMouseEvent* e) {
  if (e->button() != Qt::LeftButton) return QWidget::mouseReleaseEvent(e);
  const Drag d = drag_;
  drag_ = Drag::None;
  unsetCursor();
  if (d == Drag::Pending) {
    if (auto s = seqAt(e->position().toPoint())) selectSeq(*s);
  } else if (d == Drag::Range && range_) {
    if (range_->second - range_->first < axis_.nsPerPixel() * kDragThreshold) {
      range_.reset();  // a shift-click is not a range
      update();
    } else {
      emit rangeSelected(range_->first, range_->second);
    }
  }
}

void TimelineView::mouseDoubleClickEvent(QMouseEvent* e) {
  if (e->button() != Qt::LeftButton) return;
  if (auto s = seqAt(e->position().toPoint())) {
    selectSeq(*s);
    emit seekRequested(*s);
  }
}

void TimelineView::wheelEvent(QWheelEvent* e) {
  const double steps = e->angleDelta().y() / 120.0;
  if (e->modifiers() & Qt::ControlModifier) {
    const double x = e->position().x() - kGutter;
    zoomAround(std::max(x, 0.0), std::pow(0.8, steps));
  } else if (e->modifiers() & Qt::ShiftModifier) {
    axis_.panPixels(steps * plotWidth() / 8.0);
    afterViewChange();
  } else {
    scrollRows(static_cast<int>(-steps * 3 * kLaneH));
  }
  e->accept();
}

void TimelineView::keyPressEvent(QKeyEvent* e) {
  switch (e->key()) {
    case Qt::Key_Home:
      fitAll();
      return;
    case Qt::Key_Backspace:
      zoomBack();
      return;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
      zoomIn();
      return;
    case Qt::Key_Minus:
      zoomOut();
      return;
    case Qt::Key_Return:
    case Qt::Key_Enter:
      if (selected_seq_) emit seekRequested(*selected_seq_);
      return;
    case Qt::Key_Left:
      if (e->modifiers() & Qt::AltModifier) return zoomBack();
      return stepSelection(-1);
    case Qt::Key_Right:
      return stepSelection(1);
    case Qt::Key_Escape:
      return clearRange();
    default:
      QWidget::keyPressEvent(e);
  }
}

bool TimelineView::event(QEvent* e) {
  if (e->type() == QEvent::ToolTip && model_) {
    auto* he = static_cast<QHelpEvent*>(e);
    QString tip;
    if (globalSeqAt(he->pos(), &tip)) {
    } else if (auto s = seqAt(he->pos())) {
      tip = summary_ ? summary_(*s) : tr("event #%1").arg(*s);
    }
    if (tip.isEmpty())
      QToolTip::hideText();
    else
      QToolTip::showText(he->globalPos(), tip, this);
    return true;
  }
  return QWidget::event(e);
}

// ---- painting ----

void TimelineView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), timelineBackground());
  p.fillRect(QRect(0, 0, kGutter, height()), QColor(0xee, 0xee, 0xee));
  if (!model_) {
    p.drawText(rect(), Qt::AlignCenter, tr("No trace loaded"));
    return;
  }
  paintRows(p);
  paintGlobalRow(p);
  paintRuler(p);

  if (range_) {
    const double x0 = std::max<double>(xForPos(range_->first), kGutter);
    const double x1 = xForPos(range_->second);
    if (x1 >= x0)
      p.fillRect(QRectF(x0, kRuler, std::max(x1 - x0, 1.0), height() - kRuler),
                 QColor(0x33, 0x77, 0xdd, 50));
  }
  if (selected_seq_) {
    if (auto pos = model_->posOfSeq(*selected_seq_)) {
      const int x = static_cast<int>(std::floor(xForPos(*pos)));
      if (x >= kGutter && x < width()) {
        p.setPen(QPen(selectionColor(), 1, Qt::DashLine));
        p.drawLine(x, kRuler, x, height());
        if (auto i = model_->indexOfSeq(*selected_seq_)) {
          const QRect r = laneRect(model_->threadOf(*i), model_->lane(*i));
          p.setPen(QPen(selectionColor(), 2));
          p.setBrush(Qt::NoBrush);
          p.drawRect(QRect(x - 3, r.top() - 1, 7, r.height() + 2));
        }
      }
    }
  }
}

void TimelineView::paintRuler(QPainter& p) {
  p.fillRect(QRect(0, 0, width(), kRuler), QColor(0xe4, 0xe4, 0xe4));
  p.setPen(QColor(0x55, 0x55, 0x55));
  p.drawLine(0, kRuler - 1, width(), kRuler - 1);
  const double step = niceStep(axis_.nsPerPixel() * 90);
  // Ticks at round offsets from the start of the recording, which is what the labels show.
  const double origin = model_->begin();
  const double first = origin + std::ceil((axis_.start() - origin) / step) * step;
  QFont f = font();
  f.setPointSizeF(f.pointSizeF() * 0.85);
  p.setFont(f);
  for (double t = first; t <= axis_.end(); t += step) {
    const int x = static_cast<int>(xForPos(t));
    if (x < kGutter) continue;
    p.drawLine(x, kRuler - 6, x, kRuler - 1);
    p.drawText(x + 3, kRuler - 7, formatPos(model_->axisUnit(), t - origin));
  }
  p.drawText(QRect(6, 0, kGutter - 8, kRuler), Qt::AlignVCenter | Qt::AlignLeft,
             model_->axisUnit() == TimelineModel::AxisUnit::Sequence ? tr("event #") : tr("time"));
}

void TimelineView::paintGlobalRow(QPainter& p) {
  const QRect band(0, kRuler, width(), kGlobalLaneCount * kLaneH + kRowGap);
  p.fillRect(band, QColor(0xf1, 0xf4, 0xf7));
  p.fillRect(QRect(0, kRuler, kGutter, band.height()), QColor(0xe2, 0xe8, 0xee));
  p.setPen(QColor(0x33, 0x33, 0x33));
  QFont f = font();
  f.setPointSizeF(f.pointSizeF() * 0.8);
  p.setFont(f);
  for (int l = 0; l < kGlobalLaneCount; ++l) {
    const QRect r = globalLaneRect(static_cast<GlobalLane>(l));
    p.drawText(QRect(8, r.top(), kGutter - 12, r.height() + 1), Qt::AlignVCenter | Qt::AlignRight,
               tr(globalLaneName(static_cast<GlobalLane>(l))));
  }
  p.setRenderHint(QPainter::Antialiasing, false);
  p.setPen(Qt::NoPen);
  // Checkpoints: diamonds; bookmarks: flags. A centre column of lane colour makes the marker's
  // x exact even when it is only a pixel wide at this zoom.
  const QRect cr = globalLaneRect(GlobalLane::Checkpoints);
  p.setBrush(checkpointColor());
  for (const auto& c : model_->checkpoints()) {
    const int x = static_cast<int>(std::floor(xForPos(c.pos)));
    if (x < kGutter - 5 || x > width() + 5) continue;
    const int cy = cr.center().y(), h = cr.height() / 2;
    const QPoint pts[4] = {{x, cy - h}, {x + h, cy}, {x, cy + h}, {x - h, cy}};
    p.drawPolygon(pts, 4);
    p.fillRect(QRect(x, cr.top(), 1, cr.height()), checkpointColor());
  }
  const QRect br = globalLaneRect(GlobalLane::Bookmarks);
  p.setBrush(bookmarkColor());
  for (const auto& b : model_->bookmarks()) {
    const int x = static_cast<int>(std::floor(xForPos(b.pos)));
    if (x < kGutter - 8 || x > width() + 8) continue;
    const QPoint pts[3] = {{x, br.top()}, {x + 7, br.top() + 3}, {x, br.top() + 6}};
    p.drawPolygon(pts, 3);
    p.fillRect(QRect(x, br.top(), 1, br.height()), bookmarkColor());
  }
  p.setBrush(Qt::NoBrush);
}

void TimelineView::paintRows(QPainter& p) {
  const int top = threadsTop();
  p.save();
  p.setClipRect(QRect(0, top, width(), height() - top));
  QFont f = font();
  QFont small = f;
  small.setPointSizeF(f.pointSizeF() * 0.8);
  QFont lane_font = f;
  lane_font.setPixelSize(kLaneH - 3);  // lane names must fit the lane height
  const int w = plotWidth();
  std::vector<QRect> rects[kThreadLaneCount + 1];  // per lane colour, plus errors
  for (const Row& row : rows_) {
    const int y = top + row.y - scroll_y_;
    if (y > height()) break;
    if (row.group) {
      if (y + kGroupH < top) continue;
      const auto& proc = model_->processes()[row.index];
      p.fillRect(QRect(0, y, width(), kGroupH), QColor(0xdd, 0xe3, 0xea));
      p.setPen(QColor(0x22, 0x22, 0x22));
      f.setBold(true);
      p.setFont(f);
      p.drawText(QRect(6, y, width() - 12, kGroupH), Qt::AlignVCenter | Qt::AlignLeft,
                 tr("process %1  %2").arg(proc.pid).arg(QString::fromStdString(proc.name)));
      f.setBold(false);
      continue;
    }
    const int row_h = kThreadLaneCount * kLaneH;
    if (y + row_h < top) continue;
    const auto& th = model_->threads()[row.index];
    p.setPen(QColor(0x22, 0x22, 0x22));
    p.setFont(f);
    p.drawText(QRect(8, y, kGutter - 78, kLaneH * 2), Qt::AlignVCenter | Qt::AlignLeft,
               tr("%1 %2").arg(th.tid).arg(QString::fromStdString(th.name)));
    p.setFont(small);
    p.setPen(QColor(0x66, 0x66, 0x66));
    p.drawText(QRect(8, y + kLaneH * 2, kGutter - 78, kLaneH * 2), Qt::AlignVCenter | Qt::AlignLeft,
               tr("%1 events").arg(th.events));
    p.setFont(lane_font);
    for (int l = 0; l < kThreadLaneCount; ++l)
      p.drawText(QRect(kGutter - 70, y + l * kLaneH, 64, kLaneH), Qt::AlignVCenter | Qt::AlignRight,
                 tr(laneName(static_cast<Lane>(l))));
    for (int l = 0; l < kThreadLaneCount; ++l) {
      const QRect lr = laneRect(row.index, static_cast<Lane>(l));
      // Faint lane background so empty lanes are still visible as lanes.
      p.fillRect(lr, l % 2 ? QColor(0xf3, 0xf3, 0xf3) : QColor(0xf7, 0xf7, 0xf7));
      model_->aggregate(row.index, static_cast<Lane>(l), axis_.start(), axis_.nsPerPixel(), w,
                        bins_);
      for (int x = 0; x < w; ++x) {
        const PixelBin& b = bins_[x];
        if (b.count == 0) continue;
        const int h = barHeight(b.count, lr.height());
        auto& out = rects[b.errors ? kThreadLaneCount : l];
        const QRect bar(kGutter + x, lr.bottom() - h + 1, 1, h);
        // Dense stretches are runs of equal bars: one wide rect instead of one per pixel keeps
        // the fill cost down when zoomed out on millions of events.
        if (!out.empty() && out.back().right() + 1 == bar.left() && out.back().top() == bar.top() &&
            out.back().height() == h)
          out.back().setRight(bar.left());
        else
          out.push_back(bar);
      }
    }
    p.setPen(QColor(0xd0, 0xd0, 0xd0));
    p.drawLine(0, y + row_h + kRowGap / 2, width(), y + row_h + kRowGap / 2);
  }
  p.setPen(Qt::NoPen);
  for (int l = 0; l <= kThreadLaneCount; ++l) {
    if (rects[l].empty()) continue;
    p.setBrush(l == kThreadLaneCount ? errorColor() : laneColor(static_cast<Lane>(l)));
    p.drawRects(rects[l].data(), static_cast<int>(rects[l].size()));
  }
  p.setBrush(Qt::NoBrush);
  p.restore();
  p.setPen(QColor(0xbb, 0xbb, 0xbb));
  p.drawLine(kGutter - 1, kRuler, kGutter - 1, height());
}

}  // namespace ckrr::gui
