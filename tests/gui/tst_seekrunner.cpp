// SeekRunner: the QProcess plumbing against a fake ckrr that obeys the CLI contract (progress,
// output filtering, state parsing, failures, cancel, stale results), then a real seek with the
// built ckrr checked against `ckrr replay --to N --print-state`.
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "gui/SeekRunner.h"

using namespace ckrr::gui;

Q_DECLARE_METATYPE(ckrr::gui::SeekResult)

class TestSeekRunner : public QObject {
  Q_OBJECT

  static SeekResult waitResult(QSignalSpy& spy, int ms = 10000) {
    if (spy.isEmpty() && !spy.wait(ms)) return {};
    return spy.takeFirst().at(0).value<SeekResult>();
  }

 private slots:
  void initTestCase() { qRegisterMetaType<SeekResult>(); }
  void init() { qunsetenv("FAKE_CKRR_SLEEP"); }

  void binaryFromEnvironment() {
    qputenv("CKRR_BIN", "/opt/x/ckrr");
    QCOMPARE(SeekRunner::ckrrBinary(), QString("/opt/x/ckrr"));
    qunsetenv("CKRR_BIN");
    QVERIFY(!SeekRunner::ckrrBinary().isEmpty());
  }

  void parseState() {
    SeekState s;
    QString err;
    QVERIFY(
        SeekState::parse("event: 40\nthread: 9371\nrip: 0x00007ffff7ecee67 __close_nocancel+0x7\n"
                         "reg rax 0x0000000000000000\nreg rip 0x00007ffff7ecee67\n"
                         "memory: cdcd\nfds: 1ad7\n",
                         &s, &err));
    QCOMPARE(s.event, 40ull);
    QCOMPARE(s.thread, 9371ll);
    QCOMPARE(s.rip, 0x7ffff7ecee67ull);
    QCOMPARE(s.symbol, QString("__close_nocancel+0x7"));
    QCOMPARE(s.regs.size(), size_t{2});
    QCOMPARE(s.regs[1].first, QString("rip"));
    QCOMPARE(s.memory_sha, QString("cdcd"));
    QVERIFY(!SeekState::parse("thread: 1\n", &s, &err));
    QVERIFY(err.contains("event"));
    QVERIFY(!SeekState::parse("event: 1\nrip: zz\n", &s, &err));
  }

  void seekWithFake() {
    SeekRunner r;
    r.setBinary(CKRR_TEST_FAKE_CKRR);
    r.setTrace("/some/trace");
    QSignalSpy fin(&r, &SeekRunner::finished);
    QSignalSpy prog(&r, &SeekRunner::progress);
    QSignalSpy started(&r, &SeekRunner::started);
    const quint64 gen = r.seek(1000);
    QVERIFY(r.running());
    SeekResult res = waitResult(fin);
    QVERIFY2(res.ok, qPrintable(res.error));
    QCOMPARE(res.generation, gen);
    QCOMPARE(res.target, 1000ull);
    QCOMPARE(res.state.event, 1000ull);
    QCOMPARE(res.state.thread, 4242ll);
    QCOMPARE(res.state.rip, 0x401000ull);
    QCOMPARE(res.state.symbol, QString("main+0x10"));
    QCOMPARE(res.state.regs.size(), size_t{2});
    QCOMPARE(started.count(), 1);
    QCOMPARE(prog.count(), 2);
    QCOMPARE(prog.last().at(1).toULongLong(), 500ull);
    QCOMPARE(prog.last().at(2).toULongLong(), 1000ull);
    // Program output from both streams, without the progress lines.
    QVERIFY(res.output.contains("hello from the program"));
    QVERIFY(res.output.contains("program stderr line"));
    QVERIFY(res.output.contains("no newline at the end"));
    QVERIFY(!res.output.contains("ckrr-progress"));
    QVERIFY(!r.running());
  }

  void failureIsReported() {
    SeekRunner r;
    r.setBinary(CKRR_TEST_FAKE_CKRR);
    QSignalSpy fin(&r, &SeekRunner::finished);
    r.seek(666);
    SeekResult res = waitResult(fin);
    QVERIFY(!res.ok);
    QVERIFY2(res.error.contains("exit status 125"), qPrintable(res.error));
    QVERIFY2(res.error.contains("divergence at event 666"), qPrintable(res.error));

    r.setBinary("/nonexistent/ckrr");
    r.seek(5);
    res = waitResult(fin);
    QVERIFY(!res.ok);
    QVERIFY2(res.error.contains("cannot run /nonexistent/ckrr"), qPrintable(res.error));
  }

  void staleResultIsDropped() {
    SeekRunner r;
    r.setBinary(CKRR_TEST_FAKE_CKRR);
    QSignalSpy fin(&r, &SeekRunner::finished);
    qputenv("FAKE_CKRR_SLEEP", "1");
    r.seek(10);
    qunsetenv("FAKE_CKRR_SLEEP");
    const quint64 g2 = r.seek(20);  // asked for before the first one finished
    SeekResult res = waitResult(fin);
    QVERIFY2(res.ok, qPrintable(res.error));
    QCOMPARE(res.target, 20ull);
    QCOMPARE(res.generation, g2);
    QTest::qWait(1500);  // the first one would have finished by now
    QCOMPARE(fin.count(), 0);
  }

  void cancel() {
    SeekRunner r;
    r.setBinary(CKRR_TEST_FAKE_CKRR);
    QSignalSpy fin(&r, &SeekRunner::finished);
    QSignalSpy canceled(&r, &SeekRunner::canceled);
    qputenv("FAKE_CKRR_SLEEP", "1");
    const quint64 g = r.seek(10);
    QTest::qWait(100);
    r.cancel();
    QVERIFY(!r.running());
    QCOMPARE(canceled.count(), 1);
    QCOMPARE(canceled[0][0].toULongLong(), g);
    QTest::qWait(1500);
    QCOMPARE(fin.count(), 0);
  }

  void realSeek() {
#ifndef CKRR_TEST_REAL_CKRR
    QSKIP("the ckrr CLI is not part of this build");
#else
    const QString ckrr = CKRR_TEST_REAL_CKRR;
    QTemporaryDir tmp;
    const QString trace = tmp.filePath("trace");
    QProcess rec;
    rec.start(ckrr, {"record", "-o", trace, "--", "/bin/echo", "seek test"});
    QVERIFY(rec.waitForFinished(60000));
    if (rec.exitCode() != 0)
      QSKIP(qPrintable("ckrr record does not work here: " + rec.readAllStandardError()));

    // Pick an event in the middle of the recording from `ckrr info`-independent data: the index.
    QProcess ev;
    ev.start(ckrr, {"events", trace});
    QVERIFY(ev.waitForFinished(30000));
    const QStringList lines =
        QString::fromUtf8(ev.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
    QVERIFY(lines.size() > 10);
    const quint64 target = lines[lines.size() / 2].section(' ', 0, 0).toULongLong();
    QVERIFY(target > 0);

    SeekRunner r;
    r.setBinary(ckrr);
    r.setTrace(trace);
    QSignalSpy fin(&r, &SeekRunner::finished);
    QSignalSpy bt(&r, &SeekRunner::backtraceReady);
    r.seek(target);
    SeekResult res = waitResult(fin, 60000);
    QVERIFY2(res.ok, qPrintable(res.error + "\n" + res.output));
    QCOMPARE(res.state.event, target);

    // Then gdb, through the replay's stub, gives the backtrace at that event.
    QVERIFY(bt.count() > 0 || bt.wait(60000));
    const QStringList frames = bt.at(0).at(1).toStringList();
    QVERIFY2(!frames.isEmpty(), qPrintable(bt.at(0).at(2).toString()));
    QVERIFY2(frames[0].startsWith("#0"), qPrintable(frames.join('\n')));

    // The same state as the CLI prints on its own.
    QProcess direct;
    direct.start(ckrr, {"replay", trace, "--to", QString::number(target), "--print-state"});
    QVERIFY(direct.waitForFinished(60000));
    QCOMPARE(direct.exitCode(), 0);
    const QString out = QString::fromUtf8(direct.readAllStandardOutput());
    const qsizetype at = out.indexOf("event: ");
    QVERIFY2(at >= 0, qPrintable(out));
    SeekState want;
    QString err;
    QVERIFY2(SeekState::parse(out.mid(at), &want, &err), qPrintable(err));
    QCOMPARE(res.state.event, want.event);
    QCOMPARE(res.state.thread, want.thread);
    QCOMPARE(res.state.rip, want.rip);
    QCOMPARE(res.state.symbol, want.symbol);
    QCOMPARE(res.state.regs, want.regs);
    QCOMPARE(res.state.memory_sha, want.memory_sha);
    QCOMPARE(res.state.fds_sha, want.fds_sha);
#endif
  }
};

QTEST_GUILESS_MAIN(TestSeekRunner)
#include "tst_seekrunner.moc"
