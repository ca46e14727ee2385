// TimelineModel loading/aggregation and the Qt item models (under QAbstractItemModelTester),
// checked against SQL counts on the same synthetic index.
#include <sqlite3.h>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include "TestTraces.h"
#include "core/Error.h"
#include "gui/models/BookmarkModel.h"
#include "gui/models/EventTableModel.h"
#include "gui/models/ThreadModel.h"
#include "gui/models/TimelineModel.h"
#include "gui/models/TraceDb.h"

using namespace ckrr::gui;

namespace {

qint64 sqlCount(const TraceDb& db, const QString& where) {
  sqlite3_stmt* st = nullptr;
  const QByteArray sql = ("SELECT count(*) FROM events WHERE " + where).toUtf8();
  if (sqlite3_prepare_v2(db.handle(), sql.constData(), -1, &st, nullptr) != SQLITE_OK) return -1;
  qint64 n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return n;
}

}  // namespace

class TestModels : public QObject {
  Q_OBJECT

  std::unique_ptr<test::SynthTrace> trace_;
  std::unique_ptr<TraceDb> db_;
  TimelineModel model_;

 private slots:
  void initTestCase() {
    SynthParams p;
    p.events = 20000;
    p.threads = 5;
    p.threads_per_process = 2;
    trace_ = std::make_unique<test::SynthTrace>(p);
    db_ = std::make_unique<TraceDb>(trace_->db());
    model_.load(*db_);
  }

  void timelineLoad() {
    QCOMPARE(model_.eventCount(), size_t{20000});
    QCOMPARE(model_.threads().size(), size_t{5});
    QCOMPARE(model_.processes().size(), size_t{3});  // 2 + 2 + 1 threads
    QCOMPARE(model_.checkpoints().size(), size_t{8});
    QCOMPARE(model_.bookmarks().size(), size_t{3});
    QCOMPARE(model_.axisUnit(), TimelineModel::AxisUnit::Nanoseconds);
    uint64_t per_thread = 0;
    for (const auto& t : model_.threads()) {
      QCOMPARE(static_cast<qint64>(t.events), sqlCount(*db_, QString("tid=%1").arg(t.tid)));
      per_thread += t.events;
    }
    QCOMPARE(per_thread, uint64_t{20000});
    QCOMPARE(model_.seq(0), uint64_t{1});
    QCOMPARE(*model_.indexOfSeq(777), 776u);
    QVERIFY(!model_.indexOfSeq(20001));
  }

  void aggregationCountsEveryEventOnce() {
    // Over the whole span, the bins of each lane add up to the lane's events; errors too.
    const int width = 997;
    const double nspp = (model_.end() - model_.begin()) / (width - 1);
    std::vector<PixelBin> bins;
    uint64_t total = 0, errors = 0;
    for (size_t t = 0; t < model_.threads().size(); ++t) {
      for (int l = 0; l < kThreadLaneCount; ++l) {
        model_.aggregate(static_cast<int>(t), static_cast<Lane>(l), model_.begin(), nspp, width,
                         bins);
        for (const auto& b : bins) {
          total += b.count;
          errors += b.errors;
          if (b.count) QCOMPARE(static_cast<int>(model_.lane(b.first)), l);
        }
      }
    }
    QCOMPARE(total, uint64_t{20000});
    QCOMPARE(static_cast<qint64>(errors), sqlCount(*db_, "kind=1 AND result<0 AND result>=-4095"));
  }

  void aggregationPutsEventsInTheirPixel() {
    // Zoomed so events are far apart: each event's bin is floor((pos - start) / nspp).
    const uint32_t i = 5000;
    const int thread = model_.threadOf(i);
    const Lane lane = model_.lane(i);
    const double start = model_.pos(i) - 100.5;
    std::vector<PixelBin> bins;
    model_.aggregate(thread, lane, start, 1.0, 400, bins);
    QVERIFY(bins[100].count >= 1);
    QCOMPARE(model_.seq(bins[100].first), model_.seq(i));
    QVERIFY(model_.nearest(thread, lane, model_.pos(i) + 2, 5).has_value());
    QCOMPARE(*model_.nearest(thread, lane, model_.pos(i) + 2, 5), i);
  }

  void densityHistogram() {
    auto d = model_.density(64);
    QCOMPARE(d.size(), size_t{64});
    uint64_t sum = 0;
    for (auto v : d) sum += v;
    QCOMPARE(sum, uint64_t{20000});
  }

  void eventTableFilters() {
    EventTableModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setSource(&model_, db_.get());
    QCOMPARE(m.rowCount(), 20000);
    QCOMPARE(m.columnCount(), int(EventTableModel::ColumnCount));
    QCOMPARE(m.data(m.index(0, EventTableModel::Seq), Qt::DisplayRole).toULongLong(), 1ull);

    EventFilter f;
    f.names = "read";
    m.setFilter(f);
    QCOMPARE(m.rowCount(), static_cast<int>(sqlCount(*db_, "name='read'")));
    for (int r = 0; r < m.rowCount(); r += 97)
      QCOMPARE(m.data(m.index(r, EventTableModel::Name), Qt::DisplayRole).toString(),
               QString("read"));

    f.names = "open*, futex";
    m.setFilter(f);
    QCOMPARE(m.rowCount(), static_cast<int>(sqlCount(*db_, "name LIKE 'open%' OR name='futex'")));

    f = {};
    f.errors_only = true;
    m.setFilter(f);
    QCOMPARE(m.rowCount(),
             static_cast<int>(sqlCount(*db_, "kind=1 AND result<0 AND result>=-4095")));
    // The result column comes from the database and shows the errno.
    QVERIFY(m.data(m.index(0, EventTableModel::Result), Qt::DisplayRole).toLongLong() < 0);

    f = {};
    f.tid = 1002;
    m.setFilter(f);
    QCOMPARE(m.rowCount(), static_cast<int>(sqlCount(*db_, "tid=1002")));
    f.tid = 999999;
    m.setFilter(f);
    QCOMPARE(m.rowCount(), 0);

    f = {};
    const double a = model_.pos(1000), b = model_.pos(2999);
    f.range = std::make_pair(a, b);
    m.setFilter(f);
    QCOMPARE(m.rowCount(), 2000);
    QCOMPARE(m.seqAt(0), uint64_t{1001});
    QCOMPARE(m.rowOfSeq(1001), 0);
    QCOMPARE(m.rowOfSeq(5), -1);

    m.setFilter({});
    QCOMPARE(m.rowCount(), 20000);
    QCOMPARE(m.rowOfSeq(20000), 19999);
  }

  void threadTree() {
    ThreadModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setSource(&model_);
    QCOMPARE(m.rowCount(), 3);
    const QModelIndex p0 = m.index(0, 0);
    QCOMPARE(m.rowCount(p0), 2);
    QCOMPARE(m.data(m.index(0, ThreadModel::Id), Qt::DisplayRole).toInt(), 1000);
    const QModelIndex t1 = m.index(1, 0, p0);
    QCOMPARE(m.parent(t1), p0);
    QCOMPARE(m.data(t1, ThreadModel::TidRole).toInt(), 1001);
    QCOMPARE(m.rowCount(t1), 0);
    qulonglong sum = 0;
    for (int r = 0; r < m.rowCount(); ++r)
      sum += m.data(m.index(r, ThreadModel::Events), Qt::DisplayRole).toULongLong();
    QCOMPARE(sum, 20000ull);
    m.setSource(nullptr);
    QCOMPARE(m.rowCount(), 0);
  }

  void bookmarksPersist() {
    BookmarkModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy changed(&m, &BookmarkModel::bookmarksChanged);
    m.setDb(db_.get());
    QCOMPARE(m.rowCount(), 3);
    QVERIFY(m.addBookmark(5, "the crash starts here"));
    QCOMPARE(m.rowCount(), 4);
    QCOMPARE(m.seqAt(0), uint64_t{5});  // kept in seq order
    QVERIFY(m.setData(m.index(0, BookmarkModel::Note), "renamed", Qt::EditRole));
    QVERIFY(m.flags(m.index(0, BookmarkModel::Note)) & Qt::ItemIsEditable);
    QVERIFY(!(m.flags(m.index(0, BookmarkModel::Seq)) & Qt::ItemIsEditable));
    QCOMPARE(changed.count(), 2);

    // Stored in the trace's own timeline.db: a fresh connection sees it.
    {
      TraceDb other(trace_->db());
      auto bms = other.bookmarks();
      QCOMPARE(bms.size(), size_t{4});
      QCOMPARE(bms[0].seq, uint64_t{5});
      QCOMPARE(QString::fromStdString(bms[0].note), QString("renamed"));
    }
    QVERIFY(m.removeBookmark(0));
    QCOMPARE(m.rowCount(), 3);
    QCOMPARE(TraceDb(trace_->db()).bookmarks().size(), size_t{3});
    model_.reloadBookmarks(*db_);
    QCOMPARE(model_.bookmarks().size(), size_t{3});
  }

  void seekHistory() {
    const auto before = db_->seeks().size();
    db_->logSeek(42);
    db_->logSeek(43);
    auto s = db_->seeks();
    QCOMPARE(s.size(), before + 2);
    QCOMPARE(s.back().seq, uint64_t{43});
    QVERIFY(!s.back().at.empty());
  }

  void badDatabase() {
    QTemporaryDir tmp;
    const std::filesystem::path p = tmp.path().toStdString() + "/timeline.db";
    QVERIFY_THROWS_EXCEPTION(ckrr::TraceError, TraceDb{p});  // missing
    {
      QFile f(QString::fromStdString(p.string()));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("this is not sqlite at all, just text that is long enough to be a header......");
    }
    QVERIFY_THROWS_EXCEPTION(ckrr::TraceError, TraceDb{p});
  }
};

QTEST_MAIN(TestModels)
#include "tst_models.moc"
