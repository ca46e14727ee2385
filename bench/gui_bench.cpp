// GUI benchmark: load time of a synthetic timeline index and repaint time of the timeline at
// several zoom levels (median and worst of N paints). Prints figures; not a pass/fail test.
//   gui_bench [--events N] [--threads T] [--paints K] [--keep DIR (reused when it exists)]
#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "gui/models/EventTableModel.h"
#include "gui/models/TimelineModel.h"
#include "gui/models/TraceDb.h"
#include "gui/tools/SynthIndex.h"
#include "gui/widgets/TimelineView.h"

using namespace ckrr::gui;

namespace {

double ms(const QElapsedTimer& t) {
  return t.nsecsElapsed() / 1e6;
}

struct Stats {
  double median, worst;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  SynthParams p;
  p.events = 1000000;
  p.threads = 8;
  int paints = 30;
  std::string keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--events"))
      p.events = std::stoull(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads"))
      p.threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--paints"))
      paints = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--keep"))
      keep = argv[i + 1];
  }

  QTemporaryDir tmp;
  const std::filesystem::path dir = keep.empty()
                                        ? std::filesystem::path(tmp.path().toStdString()) / "trace"
                                        : std::filesystem::path(keep);
  QElapsedTimer t;
  t.start();
  if (!keep.empty() && std::filesystem::exists(dir / "timeline.db")) {
    std::printf("reusing %s\n", dir.c_str());  // --keep DIR from an earlier run
  } else {
    writeSynthTrace(dir, p);
    std::printf("synthetic index: %llu events, %d threads, written in %.0f ms\n",
                static_cast<unsigned long long>(p.events), p.threads, ms(t));
  }

  // Load: open + read every row into the per-thread columns. Best of 3 (page cache warm).
  std::vector<double> loads;
  TraceDb db(dir / "timeline.db");
  TimelineModel model;
  for (int i = 0; i < 3; ++i) {
    t.start();
    model.load(db);
    loads.push_back(ms(t));
  }
  std::printf("load timeline model: median %.0f ms, best %.0f ms (%zu events)\n",
              stats(loads).median, *std::min_element(loads.begin(), loads.end()),
              model.eventCount());

  EventTableModel table;
  table.setSource(&model, &db);
  t.start();
  EventFilter f;
  f.errors_only = true;
  table.setFilter(f);
  std::printf("filter errors-only over all events: %.1f ms (%d rows)\n", ms(t), table.rowCount());

  TimelineView view;
  view.setModel(&model);
  view.resize(1600, std::min(view.contentHeight(), 900));
  view.show();
  QApplication::processEvents();
  QImage img(view.size(), QImage::Format_ARGB32_Premultiplied);

  std::printf("repaint of a %dx%d timeline (%d paints each):\n", view.width(), view.height(),
              paints);
  const double center = (model.begin() + model.end()) / 2;
  const double full_nspp = view.axis().nsPerPixel();
  for (double zoom : {1.0, 10.0, 100.0, 1000.0, 100000.0}) {
    const double nspp = full_nspp / zoom;
    view.setView(center - nspp * view.plotWidth() / 2, nspp);
    std::vector<double> v;
    for (int i = 0; i < paints; ++i) {
      // Pan a little each time, as scrolling does, so nothing can be cached between paints.
      view.setView(view.axis().start() + nspp * 3, nspp);
      t.start();
      view.render(&img);
      v.push_back(ms(t));
    }
    const Stats s = stats(v);
    std::printf("  zoom x%-7.0f (%10.0f ns/px): median %6.2f ms, worst %6.2f ms\n", zoom, nspp,
                s.median, s.worst);
  }
  return 0;
}
