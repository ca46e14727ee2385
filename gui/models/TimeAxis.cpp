#include "gui/models/TimeAxis.h"

#include <algorithm>

namespace ckrr::gui {

void TimeAxis::setBounds(double begin, double end) {
  begin_ = begin;
  end_ = std::max(end, begin + 1);  // a one-event recording still has a visible span
  clamp();
}

void TimeAxis::setWidth(int px) {
  width_ = std::max(px, 1);
  clamp();
}

void TimeAxis::setView(double start, double ns_per_px) {
  start_ = start;
  ns_per_px_ = ns_per_px;
  clamp();
}

void TimeAxis::zoomAt(double x, double factor) {
  const double t = xToTime(x);
  ns_per_px_ *= factor;
  clamp();
  start_ = t - x * ns_per_px_;
  clamp();
}

void TimeAxis::panPixels(double dx) {
  start_ -= dx * ns_per_px_;
  clamp();
}

void TimeAxis::fit(double t0, double t1) {
  if (t1 < t0) std::swap(t0, t1);
  start_ = t0;
  ns_per_px_ = (t1 - t0) / width_;
  clamp();
}

void TimeAxis::clamp() {
  // Zooming out further than "whole recording in a quarter of the width" only loses detail.
  const double max_ns_per_px = std::max((end_ - begin_) * 4 / width_, kMinNsPerPixel);
  ns_per_px_ = std::clamp(ns_per_px_, kMinNsPerPixel, max_ns_per_px);
  // Keep at least part of the recording on screen: the view may overhang each end by half a
  // width, which lets the first and last events be centred.
  const double half = ns_per_px_ * width_ / 2;
  const double lo = begin_ - half;
  const double hi = std::max(end_ - half, lo);
  start_ = std::clamp(start_, lo, hi);
}

}  // namespace ckrr::gui
