#pragma once
// The timeline: one row per thread (grouped by process) with a lane per event category, a
// trace-wide row of checkpoints and bookmarks, and a time ruler. Paints from TimelineModel's
// arrays with per-pixel aggregation; no SQL while painting.
//
// Mouse: Ctrl+wheel zooms at the cursor, Shift+wheel pans, wheel scrolls rows; drag pans,
// Shift+drag selects a time range; click selects an event, double-click seeks to it.
// Keys: Home fits all, Backspace / Alt+Left goes back in the zoom history, Enter seeks,
// Left/Right step through the selected thread's events, +/- zoom.
#include <QElapsedTimer>
#include <QWidget>
#include <functional>
#include <optional>
#include <vector>

#include "gui/models/Lane.h"
#include "gui/models/TimeAxis.h"
#include "gui/models/TimelineModel.h"

namespace ckrr::gui {

class TimelineView : public QWidget {
  Q_OBJECT

 public:
  static constexpr int kGutter = 160;  // thread labels on the left
  static constexpr int kRuler = 22;
  static constexpr int kLaneH = 12;   // including a 1px gap below each lane
  static constexpr int kGroupH = 18;  // process header
  static constexpr int kRowGap = 4;

  explicit TimelineView(QWidget* parent = nullptr);

  void setModel(const TimelineModel* model);
  const TimelineModel* model() const { return model_; }
  // Text for the hover tooltip of an event (the model holds no summaries).
  void setSummaryProvider(std::function<QString(uint64_t seq)> fn) { summary_ = std::move(fn); }

  const TimeAxis& axis() const { return axis_; }
  void setView(double start, double ns_per_px);  // records zoom history

  // Widget geometry, public so tests and the overview can point at things.
  QRect laneRect(int thread, Lane lane) const;
  QRect globalLaneRect(GlobalLane lane) const;
  int plotWidth() const { return std::max(width() - kGutter, 1); }
  double xForPos(double pos) const { return kGutter + axis_.timeToX(pos); }
  double posForX(double x) const { return axis_.xToTime(x - kGutter); }
  QSize sizeHint() const override;
  // Height that shows every row without scrolling.
  int contentHeight() const;

  std::optional<uint64_t> selectedSeq() const { return selected_seq_; }
  // Selects seq (emits selectionChanged when it changes); centres it if it is off screen.
  void selectSeq(uint64_t seq);
  std::optional<std::pair<double, double>> selectedRange() const { return range_; }
  bool canGoBack() const { return !history_.empty(); }
  // The event under a widget point, if any (used by clicks and tooltips).
  std::optional<uint64_t> seqAt(QPoint p) const;

 public slots:
  void fitAll();
  void zoomBack();
  void zoomIn() { zoomAround(plotWidth() / 2.0, 0.5); }
  void zoomOut() { zoomAround(plotWidth() / 2.0, 2.0); }
  void zoomToRange();
  void centerOn(double pos);
  void clearRange();

 signals:
  void selectionChanged(quint64 seq);
  void seekRequested(quint64 seq);
  void rangeSelected(double begin, double end);
  void viewChanged(double begin, double end);
  void historyChanged(bool can_go_back);

 protected:
  void paintEvent(QPaintEvent*) override;
  void resizeEvent(QResizeEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  void mouseMoveEvent(QMouseEvent*) override;
  void mouseReleaseEvent(QMouseEvent*) override;
  void mouseDoubleClickEvent(QMouseEvent*) override;
  void wheelEvent(QWheelEvent*) override;
  void keyPressEvent(QKeyEvent*) override;
  bool event(QEvent*) override;

 private:
  struct Row {
    bool group = false;  // a process header, else a thread
    int index = 0;       // process or thread index in the model
    int y = 0;           // top, in content coordinates (before scrolling)
  };
  enum class Drag { None, Pending, Pan, Range };

  void relayout();
  int threadsTop() const { return kRuler + kGlobalLaneCount * kLaneH + kRowGap; }
  void pushHistory();
  void zoomAround(double plot_x, double factor);
  void scrollRows(int dy);
  void afterViewChange();
  void stepSelection(int dir);
  const Row* threadRowAt(int y, Lane* lane) const;
  std::optional<uint64_t> globalSeqAt(QPoint p, QString* tip) const;
  void paintRuler(class QPainter& p);
  void paintGlobalRow(class QPainter& p);
  void paintRows(class QPainter& p);

  const TimelineModel* model_ = nullptr;
  std::function<QString(uint64_t)> summary_;
  TimeAxis axis_;
  std::vector<Row> rows_;
  std::vector<int> row_of_thread_;  // thread index -> index into rows_
  int content_h_ = 0;
  int scroll_y_ = 0;
  std::optional<uint64_t> selected_seq_;
  std::optional<std::pair<double, double>> range_;
  std::vector<std::pair<double, double>> history_;  // (start, ns per px) to go back to
  QElapsedTimer last_push_;
  Drag drag_ = Drag::None;
  QPoint press_pos_;
  double press_start_ = 0;
  double press_pos_t_ = 0;
  mutable std::vector<PixelBin> bins_;  // reused per lane while painting
};

}  // namespace ckrr::gui
