// TimelineView input: Ctrl+wheel zoom at the cursor, drag pan, Shift+drag range, click select,
// double-click and Enter seek, Home / Backspace zoom history, hover hit-testing.
#include <QSignalSpy>
#include <QTest>
#include <QWheelEvent>

#include "TestTraces.h"
#include "gui/models/TimelineModel.h"
#include "gui/models/TraceDb.h"
#include "gui/widgets/TimelineView.h"

using namespace ckrr::gui;

class TestTimelineView : public QObject {
  Q_OBJECT

  std::unique_ptr<test::SynthTrace> trace_;
  std::unique_ptr<TraceDb> db_;
  TimelineModel model_;
  std::unique_ptr<TimelineView> view_;

  void wheel(QPoint at, int delta, Qt::KeyboardModifiers mods) {
    QWheelEvent e(QPointF(at), QPointF(view_->mapToGlobal(at)), QPoint(), QPoint(0, delta),
                  Qt::NoButton, mods, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view_.get(), &e);
  }
  // Zooms so that event index i is alone around x (1 ns per pixel; events are >= 200 ns apart)
  // and returns the point on it.
  QPoint focusOn(uint32_t i, int x = 400) {
    view_->setView(model_.pos(i) - (x - TimelineView::kGutter), 1.0);
    const QRect r = view_->laneRect(model_.threadOf(i), model_.lane(i));
    return {static_cast<int>(view_->xForPos(model_.pos(i))), r.center().y()};
  }

 private slots:
  void initTestCase() {
    SynthParams p;
    p.events = 3000;
    p.threads = 3;
    trace_ = std::make_unique<test::SynthTrace>(p);
    db_ = std::make_unique<TraceDb>(trace_->db());
    model_.load(*db_);
  }

  void init() {
    view_ = std::make_unique<TimelineView>();
    view_->resize(1000, 400);
    view_->setModel(&model_);
    view_->show();
    QVERIFY(QTest::qWaitForWindowExposed(view_.get()));
  }
  void cleanup() { view_.reset(); }

  void startsFittingEverything() {
    QCOMPARE(view_->axis().start(), model_.begin());
    QVERIFY(qAbs(view_->axis().end() - model_.end()) < 1e-6 * model_.end());
    QVERIFY(!view_->canGoBack());
  }

  void ctrlWheelZoomsAtCursor() {
    QSignalSpy changed(view_.get(), &TimelineView::viewChanged);
    const QPoint at(700, 100);
    const double t = view_->posForX(at.x());
    const double nspp = view_->axis().nsPerPixel();
    wheel(at, 120, Qt::ControlModifier);
    QVERIFY(view_->axis().nsPerPixel() < nspp * 0.81);
    QVERIFY(qAbs(view_->posForX(at.x()) - t) < nspp * 1e-6);
    QVERIFY(changed.count() >= 1);
    // Plain wheel does not zoom.
    const double z = view_->axis().nsPerPixel();
    wheel(at, 120, Qt::NoModifier);
    QCOMPARE(view_->axis().nsPerPixel(), z);
    // Shift+wheel pans by an eighth of the width.
    const double s = view_->axis().start();
    wheel(at, -120, Qt::ShiftModifier);
    QVERIFY(qAbs(view_->axis().start() - (s + z * view_->plotWidth() / 8.0)) < z);
  }

  void dragPans() {
    view_->setView(model_.begin() + (model_.end() - model_.begin()) / 4,
                   view_->axis().nsPerPixel() / 4);
    QSignalSpy sel(view_.get(), &TimelineView::selectionChanged);
    const double start = view_->axis().start(), nspp = view_->axis().nsPerPixel();
    QTest::mousePress(view_.get(), Qt::LeftButton, {}, QPoint(600, 200));
    QTest::mouseMove(view_.get(), QPoint(550, 200));
    QTest::mouseMove(view_.get(), QPoint(500, 200));
    QTest::mouseRelease(view_.get(), Qt::LeftButton, {}, QPoint(500, 200));
    // Dragging left by 100 px shows 100 px worth of later time.
    QVERIFY(qAbs(view_->axis().start() - (start + 100 * nspp)) < nspp * 1e-6);
    QCOMPARE(sel.count(), 0);  // a drag is not a click
    QVERIFY(view_->canGoBack());
  }

  void shiftDragSelectsRange() {
    QSignalSpy range(view_.get(), &TimelineView::rangeSelected);
    const double t0 = view_->posForX(300), t1 = view_->posForX(700);
    QTest::mousePress(view_.get(), Qt::LeftButton, Qt::ShiftModifier, QPoint(300, 200));
    QTest::mouseMove(view_.get(), QPoint(500, 200));
    QTest::mouseMove(view_.get(), QPoint(700, 200));
    QTest::mouseRelease(view_.get(), Qt::LeftButton, Qt::ShiftModifier, QPoint(700, 200));
    QCOMPARE(range.count(), 1);
    QCOMPARE(range[0][0].toDouble(), t0);
    QCOMPARE(range[0][1].toDouble(), t1);
    QVERIFY(view_->selectedRange().has_value());
    view_->zoomToRange();
    QVERIFY(qAbs(view_->axis().start() - t0) < 1e-6 * t1);
    QVERIFY(qAbs(view_->axis().end() - t1) < 1e-6 * t1);
  }

  void clickSelectsEvent() {
    QSignalSpy sel(view_.get(), &TimelineView::selectionChanged);
    QSignalSpy seek(view_.get(), &TimelineView::seekRequested);
    const uint32_t i = 1234;
    const QPoint p = focusOn(i);
    QCOMPARE(view_->seqAt(p), std::optional<uint64_t>(model_.seq(i)));
    QTest::mouseClick(view_.get(), Qt::LeftButton, {}, p);
    QCOMPARE(sel.count(), 1);
    QCOMPARE(sel[0][0].toULongLong(), model_.seq(i));
    QCOMPARE(view_->selectedSeq(), std::optional<uint64_t>(model_.seq(i)));
    QCOMPARE(seek.count(), 0);
    // Clicking empty space (far from any event at this zoom) keeps the selection.
    QTest::mouseClick(view_.get(), Qt::LeftButton, {}, p + QPoint(0, 400));
    QCOMPARE(sel.count(), 1);
  }

  void doubleClickSeeks() {
    QSignalSpy seek(view_.get(), &TimelineView::seekRequested);
    QSignalSpy sel(view_.get(), &TimelineView::selectionChanged);
    const uint32_t i = 2222;
    const QPoint p = focusOn(i, 600);
    QTest::mouseDClick(view_.get(), Qt::LeftButton, {}, p);
    QCOMPARE(seek.count(), 1);
    QCOMPARE(seek[0][0].toULongLong(), model_.seq(i));
    QVERIFY(sel.count() >= 1);
    QCOMPARE(sel.last()[0].toULongLong(), model_.seq(i));
  }

  void enterSeeksSelection() {
    QSignalSpy seek(view_.get(), &TimelineView::seekRequested);
    QTest::keyClick(view_.get(), Qt::Key_Return);
    QCOMPARE(seek.count(), 0);  // nothing selected yet
    view_->selectSeq(77);
    QTest::keyClick(view_.get(), Qt::Key_Return);
    QCOMPARE(seek.count(), 1);
    QCOMPARE(seek[0][0].toULongLong(), 77ull);
  }

  void arrowKeysStepThroughThread() {
    QSignalSpy sel(view_.get(), &TimelineView::selectionChanged);
    view_->selectSeq(1500);
    const int thread = model_.threadOf(*model_.indexOfSeq(1500));
    QTest::keyClick(view_.get(), Qt::Key_Right);
    const uint64_t next = *view_->selectedSeq();
    QVERIFY(next > 1500);
    QCOMPARE(model_.threadOf(*model_.indexOfSeq(next)), thread);
    for (uint64_t s = 1501; s < next; ++s)
      QVERIFY(model_.threadOf(*model_.indexOfSeq(s)) != thread);
    QTest::keyClick(view_.get(), Qt::Key_Left);
    QCOMPARE(*view_->selectedSeq(), uint64_t{1500});
    QCOMPARE(sel.count(), 3);
  }

  void homeFitsAndBackspaceGoesBack() {
    const double fit_start = view_->axis().start(), fit_nspp = view_->axis().nsPerPixel();
    wheel(QPoint(500, 100), 360, Qt::ControlModifier);  // one gesture
    const double z_start = view_->axis().start(), z_nspp = view_->axis().nsPerPixel();
    QVERIFY(z_nspp < fit_nspp);
    QTest::qWait(600);  // next gesture
    QTest::keyClick(view_.get(), Qt::Key_Home);
    QCOMPARE(view_->axis().start(), fit_start);
    QCOMPARE(view_->axis().nsPerPixel(), fit_nspp);
    QTest::keyClick(view_.get(), Qt::Key_Backspace);  // back to the zoomed view
    QCOMPARE(view_->axis().start(), z_start);
    QCOMPARE(view_->axis().nsPerPixel(), z_nspp);
    QTest::keyClick(view_.get(), Qt::Key_Backspace);  // back to before the wheel zoom
    QCOMPARE(view_->axis().nsPerPixel(), fit_nspp);
    QVERIFY(!view_->canGoBack());
  }

  void checkpointMarkerIsClickable() {
    QSignalSpy sel(view_.get(), &TimelineView::selectionChanged);
    const auto& c = model_.checkpoints().at(3);
    const QRect r = view_->globalLaneRect(GlobalLane::Checkpoints);
    const QPoint p(static_cast<int>(view_->xForPos(c.pos)), r.center().y());
    QTest::mouseClick(view_.get(), Qt::LeftButton, {}, p);
    QCOMPARE(sel.count(), 1);
    QCOMPARE(sel[0][0].toULongLong(), c.seq);
  }
};

QTEST_MAIN(TestTimelineView)
#include "tst_timelineview.moc"
