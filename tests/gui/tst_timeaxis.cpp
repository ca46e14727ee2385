// TimeAxis: time <-> pixel mapping, zoom at a point, pan and fit, data-driven.
#include <QTest>

#include "gui/models/TimeAxis.h"

using ckrr::gui::TimeAxis;

class TestTimeAxis : public QObject {
  Q_OBJECT

 private slots:
  void mapping_data() {
    QTest::addColumn<double>("begin");
    QTest::addColumn<double>("end");
    QTest::addColumn<int>("width");
    QTest::addColumn<double>("time");
    QTest::addColumn<double>("x");
    QTest::newRow("start maps to 0") << 0.0 << 1000.0 << 100 << 0.0 << 0.0;
    QTest::newRow("end maps to width") << 0.0 << 1000.0 << 100 << 1000.0 << 100.0;
    QTest::newRow("middle") << 0.0 << 1000.0 << 100 << 500.0 << 50.0;
    QTest::newRow("offset origin") << 5e6 << 6e6 << 1000 << 5.25e6 << 250.0;
    QTest::newRow("before the view is negative") << 100.0 << 200.0 << 10 << 90.0 << -1.0;
    QTest::newRow("10M events at 1us") << 0.0 << 1e13 << 1920 << 5e12 << 960.0;
  }
  void mapping() {
    QFETCH(double, begin);
    QFETCH(double, end);
    QFETCH(int, width);
    QFETCH(double, time);
    QFETCH(double, x);
    TimeAxis a;
    a.setWidth(width);
    a.setBounds(begin, end);
    a.fitAll();
    QCOMPARE(a.start(), begin);
    QVERIFY(qAbs(a.timeToX(time) - x) < 1e-6);
    QVERIFY(qAbs(a.xToTime(x) - time) <= 1e-9 * qMax(1.0, qAbs(time)));
  }

  void zoomKeepsCursorTime_data() {
    QTest::addColumn<double>("x");
    QTest::addColumn<double>("factor");
    QTest::newRow("zoom in at left") << 0.0 << 0.5;
    QTest::newRow("zoom in at 1/3") << 333.0 << 0.8;
    QTest::newRow("zoom in at right") << 999.0 << 0.25;
    QTest::newRow("zoom out at centre") << 500.0 << 1.5;
  }
  void zoomKeepsCursorTime() {
    QFETCH(double, x);
    QFETCH(double, factor);
    TimeAxis a;
    a.setWidth(1000);
    a.setBounds(0, 1e9);
    a.fit(2e8, 4e8);  // zoomed in a little so zooming out is not clamped
    const double t = a.xToTime(x);
    const double nspp = a.nsPerPixel();
    a.zoomAt(x, factor);
    QVERIFY(qAbs(a.nsPerPixel() - nspp * factor) < 1e-6 * nspp);
    QVERIFY(qAbs(a.xToTime(x) - t) < 1e-3);
  }

  void zoomInIsBounded() {
    TimeAxis a;
    a.setWidth(800);
    a.setBounds(0, 1e6);
    a.fitAll();
    for (int i = 0; i < 200; ++i) a.zoomAt(400, 0.5);
    QCOMPARE(a.nsPerPixel(), TimeAxis::kMinNsPerPixel);
    for (int i = 0; i < 200; ++i) a.zoomAt(400, 2);
    // Zooming out stops at the whole recording in a quarter of the width.
    QVERIFY(a.nsPerPixel() <= 1e6 * 4 / 800 + 1e-9);
    QVERIFY(a.timeToX(0) >= 0 && a.timeToX(1e6) <= 800);
  }

  void panAndClamp() {
    TimeAxis a;
    a.setWidth(100);
    a.setBounds(0, 1000);
    a.fit(0, 100);     // 1 ns per pixel
    a.panPixels(-30);  // drag left: later time comes into view
    QCOMPARE(a.start(), 30.0);
    a.panPixels(10);
    QCOMPARE(a.start(), 20.0);
    a.panPixels(1e6);  // far past the start: at most half a width of overhang
    QCOMPARE(a.start(), -50.0);
    a.panPixels(-1e6);
    QCOMPARE(a.start(), 1000.0 - 50.0);
  }

  void fitReversedRange() {
    TimeAxis a;
    a.setWidth(200);
    a.setBounds(0, 1000);
    a.fit(600, 200);
    QCOMPARE(a.start(), 200.0);
    QCOMPARE(a.end(), 600.0);
  }

  void degenerateBounds() {
    TimeAxis a;
    a.setWidth(100);
    a.setBounds(42, 42);  // a single event
    a.fitAll();
    QVERIFY(a.nsPerPixel() > 0);
    QVERIFY(a.timeToX(42) >= 0 && a.timeToX(42) <= 100);
  }
};

QTEST_APPLESS_MAIN(TestTimeAxis)
#include "tst_timeaxis.moc"
