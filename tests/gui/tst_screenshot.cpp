// `ckrr gui TRACE --screenshot FILE.png --select N`: the PNG shows the lanes. Pixels are checked
// at positions computed from a window laid out the same way (same size, same trace).
#include <QImage>
#include <QTest>

#include "TestTraces.h"
#include "gui/GuiMain.h"
#include "gui/models/TimelineModel.h"
#include "gui/widgets/LaneStyle.h"
#include "gui/widgets/MainWindow.h"
#include "gui/widgets/TimelineView.h"

using namespace ckrr::gui;

class TestScreenshot : public QObject {
  Q_OBJECT

 private slots:
  void lanesInPng() {
    SynthParams p;
    p.events = 400;  // sparse enough that most pixels hold one event
    p.threads = 4;
    p.threads_per_process = 2;
    test::SynthTrace trace(p);
    const QString png = trace.tmp.filePath("shot.png");
    const std::string dir = trace.dir.string(), out = png.toStdString();
    const char* argv[] = {"ckrr-gui", dir.c_str(), "--screenshot", out.c_str(), "--select",
                          "200",      "--size",    "1400x900",     nullptr};
    QCOMPARE(run_gui(8, const_cast<char**>(argv)), 0);
    QImage img(png);
    QVERIFY(!img.isNull());
    QCOMPARE(img.size(), QSize(1400, 900));

    // The same window, to know where things are.
    MainWindow win;
    win.openTrace(trace.dir);
    win.resize(1400, 900);
    win.show();
    QVERIFY(QTest::qWaitForWindowExposed(&win));
    win.timeline()->selectSeq(200);
    QApplication::processEvents();
    const TimelineView* v = win.timeline();
    const TimelineModel& m = win.timelineModel();
    auto toWin = [&](QPoint p) { return v->mapTo(&win, p); };

    // Every thread lane pixel that holds events has the lane's colour at the lane's bottom
    // row (red when the pixel holds an error); empty pixels do not.
    std::vector<PixelBin> bins;
    int checked_events = 0, checked_empty = 0, lanes_seen[kThreadLaneCount] = {};
    for (size_t t = 0; t < m.threads().size(); ++t) {
      for (int l = 0; l < kThreadLaneCount; ++l) {
        const QRect r = v->laneRect(static_cast<int>(t), static_cast<Lane>(l));
        if (r.bottom() >= v->height()) continue;  // scrolled out of view
        m.aggregate(static_cast<int>(t), static_cast<Lane>(l), v->axis().start(),
                    v->axis().nsPerPixel(), v->plotWidth(), bins);
        for (int x = 0; x < static_cast<int>(bins.size()); x += 1) {
          const QPoint px = toWin(QPoint(r.left() + x, r.bottom()));
          const QColor got = img.pixelColor(px);
          // The selection marker is drawn over the lanes around the selected event.
          const auto sel = m.posOfSeq(200);
          if (qAbs(v->xForPos(*sel) - (r.left() + x)) < 5) continue;
          if (bins[x].count) {
            const QColor want = bins[x].errors ? errorColor() : laneColor(static_cast<Lane>(l));
            if (got != want)
              QFAIL(qPrintable(QString("thread %1 lane %2 x %3: got %4, want %5")
                                   .arg(t)
                                   .arg(l)
                                   .arg(x)
                                   .arg(got.name(), want.name())));
            ++checked_events;
            lanes_seen[l]++;
          } else if (x > 0 && x + 1 < static_cast<int>(bins.size()) && !bins[x - 1].count &&
                     !bins[x + 1].count) {
            QVERIFY2(got != laneColor(static_cast<Lane>(l)) && got != errorColor(),
                     qPrintable(QString("empty pixel %1 painted").arg(x)));
            ++checked_empty;
          }
        }
      }
    }
    qInfo("checked %d pixels with events, %d empty; timeline %dx%d", checked_events, checked_empty,
          v->width(), v->height());
    QVERIFY(checked_events >= 150);
    QVERIFY(checked_empty > 1000);
    QVERIFY(lanes_seen[int(Lane::Syscalls)] > 0);
    QVERIFY(lanes_seen[int(Lane::ExecMmap)] > 0);

    // Checkpoint markers: a column of checkpoint colour at each checkpoint.
    const QRect cr = v->globalLaneRect(GlobalLane::Checkpoints);
    for (const auto& c : m.checkpoints()) {
      const int x = static_cast<int>(std::floor(v->xForPos(c.pos)));
      if (x < v->width() - 1)
        QCOMPARE(img.pixelColor(toWin(QPoint(x, cr.center().y()))), checkpointColor());
    }
    const QRect br = v->globalLaneRect(GlobalLane::Bookmarks);
    for (const auto& b : m.bookmarks()) {
      const int x = static_cast<int>(std::floor(v->xForPos(b.pos)));
      QCOMPARE(img.pixelColor(toWin(QPoint(x, br.bottom()))), bookmarkColor());
    }
  }

  void badArguments() {
    const char* a1[] = {"ckrr-gui", nullptr};
    QCOMPARE(run_gui(1, const_cast<char**>(a1)), 2);
    const char* a2[] = {"ckrr-gui", "/nonexistent/trace", "--screenshot", "/tmp/x.png", nullptr};
    QCOMPARE(run_gui(4, const_cast<char**>(a2)), 1);
    SynthParams p;
    p.events = 50;
    test::SynthTrace trace(p);
    const std::string dir = trace.dir.string();
    const std::string out = trace.tmp.filePath("x.png").toStdString();
    const char* a3[] = {"ckrr-gui", dir.c_str(), "--screenshot", out.c_str(),
                        "--select", "51",        nullptr};
    QCOMPARE(run_gui(6, const_cast<char**>(a3)), 1);  // no such event
  }
};

QTEST_MAIN(TestScreenshot)
#include "tst_screenshot.moc"
