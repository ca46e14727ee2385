// The main window wired together: selection sync between timeline, table and details; a seek
// (fake ckrr) logged in the seeks table and shown in the seek panel; bookmarks reaching the
// timeline; search/filter box; "Debug here" disabled with a reason when it cannot work.
#include <QAction>
#include <QLineEdit>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QToolTip>

#include "TestTraces.h"
#include "gui/SeekRunner.h"
#include "gui/models/BookmarkModel.h"
#include "gui/models/EventTableModel.h"
#include "gui/models/TraceDb.h"
#include "gui/widgets/DisassemblyPane.h"
#include "gui/widgets/EventDetailsPane.h"
#include "gui/widgets/MainWindow.h"
#include "gui/widgets/SeekPanel.h"
#include "gui/widgets/TimelineView.h"

using namespace ckrr::gui;

Q_DECLARE_METATYPE(ckrr::gui::SeekResult)

class TestMainWindow : public QObject {
  Q_OBJECT

  std::unique_ptr<test::SynthTrace> trace_;

 private slots:
  void initTestCase() {
    qputenv("CKRR_BIN", CKRR_TEST_FAKE_CKRR);
    SynthParams p;
    p.events = 5000;
    p.threads = 3;
    trace_ = std::make_unique<test::SynthTrace>(p);
  }

  void selectionIsShared() {
    MainWindow win;
    win.openTrace(trace_->dir);
    win.show();
    QVERIFY(QTest::qWaitForWindowExposed(&win));
    win.timeline()->selectSeq(1234);
    QVERIFY(win.details()->plainText().contains("#1234"));
    auto* table = win.findChild<QTableView*>();
    QVERIFY(table);
    QCOMPARE(table->currentIndex().row(), 1233);
    // Picking a row in the table selects the event on the timeline.
    table->setCurrentIndex(table->model()->index(99, 0));
    QCOMPARE(win.timeline()->selectedSeq(), std::optional<uint64_t>(100));
    QVERIFY(win.details()->plainText().contains("#100"));
  }

  void filterBox() {
    MainWindow win;
    win.openTrace(trace_->dir);
    auto* edit = win.findChild<QLineEdit*>();
    QVERIFY(edit);
    QTest::keyClicks(edit, "futex");
    QTRY_VERIFY(win.eventTable()->filter().names == "futex");
    QVERIFY(win.eventTable()->rowCount() > 0);
    QVERIFY(win.eventTable()->rowCount() < 5000);
    for (int r = 0; r < win.eventTable()->rowCount(); r += 50)
      QCOMPARE(win.eventTable()->index(r, EventTableModel::Name).data().toString(),
               QString("futex"));
  }

  void seekIsLoggedAndShown() {
    MainWindow win;
    win.openTrace(trace_->dir);
    const auto before = TraceDb(trace_->db()).seeks().size();
    QSignalSpy fin(win.seekRunner(), &SeekRunner::finished);
    win.timeline()->selectSeq(321);
    QTest::keyClick(win.timeline(), Qt::Key_Return);
    QVERIFY(fin.wait(10000));
    QCOMPARE(win.seekPanel()->registerCount(), 2);
    QVERIFY2(win.seekPanel()->statusText().contains("At event #321"),
             qPrintable(win.seekPanel()->statusText()));
    QVERIFY(win.seekPanel()->outputText().contains("hello from the program"));
    const auto seeks = TraceDb(trace_->db()).seeks();
    QCOMPARE(seeks.size(), before + 1);
    QCOMPARE(seeks.back().seq, uint64_t{321});
  }

  void bookmarksReachTimeline() {
    MainWindow win;
    win.openTrace(trace_->dir);
    const size_t n = win.timelineModel().bookmarks().size();
    QVERIFY(win.bookmarkModel()->addBookmark(4000, "late"));
    QCOMPARE(win.timelineModel().bookmarks().size(), n + 1);
    // Reopening the trace shows it again: it lives in timeline.db.
    MainWindow again;
    again.openTrace(trace_->dir);
    bool found = false;
    for (const auto& b : again.timelineModel().bookmarks())
      found |= b.seq == 4000 && b.note == "late";
    QVERIFY(found);
  }

  void hoverShowsSummary() {
    MainWindow win;
    win.openTrace(trace_->dir);
    win.show();
    QVERIFY(QTest::qWaitForWindowExposed(&win));
    TimelineView* v = win.timeline();
    const auto& m = win.timelineModel();
    const uint32_t i = 2500;
    v->setView(m.pos(i) - 300, 1.0);
    const QRect r = v->laneRect(m.threadOf(i), m.lane(i));
    const QPoint p(static_cast<int>(v->xForPos(m.pos(i))), r.center().y());
    QHelpEvent he(QEvent::ToolTip, p, v->mapToGlobal(p));
    QApplication::sendEvent(v, &he);
    QTRY_VERIFY(QToolTip::isVisible());
    const QString tip = QToolTip::text();
    QVERIFY2(tip.contains("#2501"), qPrintable(tip));
    QVERIFY2(tip.contains(QString::fromStdString(std::string(m.name(i)))), qPrintable(tip));
  }

  void realSeekShowsStateAndCode() {
#ifndef CKRR_TEST_REAL_CKRR
    QSKIP("the ckrr CLI is not part of this build");
#else
    QTemporaryDir tmp;
    const QString trace = tmp.filePath("trace");
    QProcess rec;
    rec.start(CKRR_TEST_REAL_CKRR, {"record", "-o", trace, "--", "/bin/echo", "gui seek"});
    QVERIFY(rec.waitForFinished(60000));
    if (rec.exitCode() != 0)
      QSKIP(qPrintable("ckrr record does not work here: " + rec.readAllStandardError()));
    MainWindow win;
    win.openTrace(trace.toStdString());
    win.seekRunner()->setBinary(CKRR_TEST_REAL_CKRR);
    const auto& m = win.timelineModel();
    // The last syscall before the exit: the program has printed its line by then.
    uint64_t target = 0;
    for (uint32_t i = 0; i < m.eventCount(); ++i)
      if (m.name(i) == "write") target = m.seq(i);
    QVERIFY(target > 0);
    QSignalSpy fin(win.seekRunner(), &SeekRunner::finished);
    win.timeline()->selectSeq(target);
    win.seekTo(target);
    QVERIFY(fin.wait(60000));
    const auto res = fin[0][0].value<SeekResult>();
    QVERIFY2(res.ok, qPrintable(res.error));
    QVERIFY2(win.seekPanel()->statusText().contains(QString("At event #%1").arg(target)),
             qPrintable(win.seekPanel()->statusText()));
    QVERIFY(win.seekPanel()->registerCount() >= 17);
    // The code at the stop: rip is inside a file mapped by a recorded mmap.
    const QString code = win.disassembly()->plainText();
    const QString here = QString("=> %1:").arg(res.state.rip, 12, 16, QLatin1Char('0'));
    QVERIFY2(code.contains(here), qPrintable(code));

    // An rdtsc early in the run executes in the dynamic loader, which no mmap event maps: its
    // code is found through the exec's auxv (AT_BASE) and the stored loader.
    for (uint32_t i = 0; i < m.eventCount(); ++i) {
      if (m.name(i) != "rdtsc") continue;
      win.timeline()->selectSeq(m.seq(i));
      const QString t = win.disassembly()->plainText();
      // The instruction at the recorded address is the rdtsc itself.
      const QStringList at = t.split('\n').filter(QRegularExpression("^=> "));
      QCOMPARE(at.size(), qsizetype{1});
      QVERIFY2(at[0].trimmed().endsWith("rdtsc"), qPrintable(t));
      QVERIFY2(t.contains("ld-linux"), qPrintable(t));
      break;
    }
#endif
  }

  void debugHereNeedsATerminal() {
    const QByteArray path = qgetenv("PATH");
    const QByteArray term = qgetenv("TERMINAL");
    QTemporaryDir empty;
    qputenv("PATH", empty.path().toUtf8());
    qunsetenv("TERMINAL");
    MainWindow win;
    win.openTrace(trace_->dir);
    QVERIFY(!win.debugAction()->isEnabled());
    QVERIFY2(win.debugAction()->toolTip().contains("terminal"),
             qPrintable(win.debugAction()->toolTip()));
    qputenv("PATH", path);
    if (!term.isEmpty()) qputenv("TERMINAL", term);
  }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
