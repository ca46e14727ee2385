#pragma once
// The whole recording at a glance: an event-density histogram, checkpoint ticks and a box around
// the part the timeline shows. Click or drag to move the timeline there.
#include <QWidget>
#include <vector>

namespace ckrr::gui {

class TimelineModel;

class OverviewStrip : public QWidget {
  Q_OBJECT

 public:
  explicit OverviewStrip(QWidget* parent = nullptr);
  void setModel(const TimelineModel* model);
  QSize sizeHint() const override { return {900, 46}; }
  double xForPos(double pos) const;
  double posForX(double x) const;

 public slots:
  void setVisibleRange(double begin, double end);

 signals:
  void centerRequested(double pos);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  void mouseMoveEvent(QMouseEvent*) override;

 private:
  static constexpr int kBins = 4096;  // computed once; resampled to the width when painting
  const TimelineModel* model_ = nullptr;
  std::vector<uint32_t> density_;
  double vis_begin_ = 0, vis_end_ = 0;
};

}  // namespace ckrr::gui
