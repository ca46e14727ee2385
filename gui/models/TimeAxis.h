#pragma once
// Mapping between recording time (ns since the start) and horizontal pixels of the timeline.
// Pure arithmetic, no Qt widgets, so zoom/pan behaviour can be tested on its own.
#include <cstdint>

namespace ckrr::gui {

class TimeAxis {
 public:
  // Smallest zoom step: one pixel never shows less than this many ns.
  static constexpr double kMinNsPerPixel = 1.0 / 64;

  // The recording spans [begin, end]; panning stays near it.
  void setBounds(double begin, double end);
  double boundsBegin() const { return begin_; }
  double boundsEnd() const { return end_; }

  void setWidth(int px);
  int width() const { return width_; }

  double start() const { return start_; }
  double nsPerPixel() const { return ns_per_px_; }
  double end() const { return start_ + ns_per_px_ * width_; }
  void setView(double start, double ns_per_px);

  double timeToX(double t) const { return (t - start_) / ns_per_px_; }
  double xToTime(double x) const { return start_ + x * ns_per_px_; }

  // factor < 1 zooms in. The time under pixel x stays under x (unless clamped at a bound).
  void zoomAt(double x, double factor);
  // Moves the view by dx pixels (positive: content moves right, earlier time shows).
  void panPixels(double dx);
  // Shows [t0, t1] across the whole width.
  void fit(double t0, double t1);
  void fitAll() { fit(begin_, end_); }

 private:
  void clamp();
  double begin_ = 0, end_ = 1;
  int width_ = 1;
  double start_ = 0;
  double ns_per_px_ = 1;
};

}  // namespace ckrr::gui
