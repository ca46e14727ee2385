#include "gui/widgets/MainWindow.h"

#include "decoder/EventDecoder.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

#include "core/Error.h"
#include "gui/SeekRunner.h"
#include "gui/TerminalLauncher.h"
#include "gui/models/BookmarkModel.h"
#include "gui/models/CodeLocator.h"
#include "gui/models/EventSource.h"
#include "gui/models/EventTableModel.h"
#include "gui/models/ThreadModel.h"
#include "gui/models/TimeFormat.h"
#include "gui/models/TraceDb.h"
#include "gui/widgets/DisassemblyPane.h"
#include "gui/widgets/EventDetailsPane.h"
#include "gui/widgets/OverviewStrip.h"
#include "gui/widgets/SeekPanel.h"
#include "gui/widgets/TimelineView.h"

namespace ckrr::gui {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      timeline_(new TimelineView),
      overview_(new OverviewStrip),
      details_(new EventDetailsPane),
      disasm_(new DisassemblyPane),
      seek_panel_(new SeekPanel),
      seek_(new SeekRunner(this)),
      table_model_(new EventTableModel(this)),
      thread_model_(new ThreadModel(this)),
      bookmark_model_(new BookmarkModel(this)) {
  setWindowTitle(tr("ckrr"));
  auto* central = new QWidget;
  auto* l = new QVBoxLayout(central);
  l->setContentsMargins(2, 2, 2, 2);
  l->setSpacing(2);
  l->addWidget(overview_);
  l->addWidget(timeline_, 1);
  setCentralWidget(central);
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

  buildActions();
  buildDocks();
  status_view_ = new QLabel;
  statusBar()->addWidget(status_view_, 1);

  timeline_->setSummaryProvider([this](uint64_t seq) { return hoverText(seq); });
  connect(timeline_, &TimelineView::viewChanged, overview_, &OverviewStrip::setVisibleRange);
  connect(timeline_, &TimelineView::viewChanged, this, [this] { updateStatus(); });
  connect(overview_, &OverviewStrip::centerRequested, timeline_, &TimelineView::centerOn);
  connect(timeline_, &TimelineView::selectionChanged, this, &MainWindow::selectEvent);
  connect(timeline_, &TimelineView::seekRequested, this, &MainWindow::seekTo);
  connect(timeline_, &TimelineView::historyChanged, back_action_, &QAction::setEnabled);
  connect(timeline_, &TimelineView::rangeSelected, this, [this](double a, double b) {
    filter_range_->setEnabled(true);
    filter_range_->setText(tr("Only %1 .. %2")
                               .arg(formatPos(model_.axisUnit(), a - model_.begin()),
                                    formatPos(model_.axisUnit(), b - model_.begin())));
    if (filter_range_->isChecked()) applyFilter();
  });

  connect(seek_, &SeekRunner::started, seek_panel_, &SeekPanel::onStarted);
  connect(seek_, &SeekRunner::progress, seek_panel_, &SeekPanel::onProgress);
  connect(seek_, &SeekRunner::outputReceived, seek_panel_, &SeekPanel::onOutput);
  connect(seek_, &SeekRunner::finished, seek_panel_, &SeekPanel::onFinished);
  connect(seek_, &SeekRunner::finished, this, &MainWindow::showSeekResult);
  connect(seek_, &SeekRunner::canceled, seek_panel_, &SeekPanel::onCanceled);
  connect(seek_, &SeekRunner::backtraceReady, seek_panel_, &SeekPanel::onBacktrace);
  connect(seek_panel_, &SeekPanel::cancelRequested, seek_, &SeekRunner::cancel);
  connect(seek_panel_, &SeekPanel::seekRequested, this, [this](quint64 s) {
    timeline_->selectSeq(s);
    seekTo(s);
  });
  connect(bookmark_model_, &BookmarkModel::bookmarksChanged, this, [this] {
    if (db_) model_.reloadBookmarks(*db_);
    timeline_->update();
    overview_->update();
  });
  connect(bookmark_model_, &BookmarkModel::writeFailed, this,
          [this](const QString& e) { statusBar()->showMessage(e, 8000); });
  resize(1400, 900);
}

MainWindow::~MainWindow() {
  // Models refer to the database: detach them before it goes.
  table_model_->setSource(nullptr, nullptr);
  bookmark_model_->setDb(nullptr);
}

void MainWindow::buildActions() {
  auto* tb = addToolBar(tr("Timeline"));
  tb->setObjectName("timelineToolbar");
  tb->setMovable(false);
  auto* file = menuBar()->addMenu(tr("&File"));
  auto* view = menuBar()->addMenu(tr("&View"));
  view_menu_ = view;
  auto* ev = menuBar()->addMenu(tr("&Event"));

  auto* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
  quit->setShortcut(QKeySequence::Quit);

  auto* fit = view->addAction(tr("&Fit all"), timeline_, &TimelineView::fitAll);
  fit->setShortcut(Qt::Key_Home);
  back_action_ = view->addAction(tr("&Back"), timeline_, &TimelineView::zoomBack);
  back_action_->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Left));
  back_action_->setToolTip(tr("Previous zoom (Backspace)"));
  back_action_->setEnabled(false);
  auto* zin = view->addAction(tr("Zoom &in"), timeline_, &TimelineView::zoomIn);
  zin->setShortcut(QKeySequence::ZoomIn);
  auto* zout = view->addAction(tr("Zoom &out"), timeline_, &TimelineView::zoomOut);
  zout->setShortcut(QKeySequence::ZoomOut);
  auto* zrange = view->addAction(tr("Zoom to &range"), timeline_, &TimelineView::zoomToRange);
  zrange->setToolTip(tr("Zoom to the range selected with Shift+drag"));
  zrange->setShortcut(Qt::Key_Z);

  seek_action_ = ev->addAction(tr("&Seek here"), this, [this] {
    if (auto s = timeline_->selectedSeq()) seekTo(*s);
  });
  seek_action_->setToolTip(tr("Replay to the selected event (Enter or double-click)"));
  debug_action_ = ev->addAction(tr("&Debug here"), this, &MainWindow::debugHere);
  debug_action_->setToolTip(tr("Open gdb at the selected event (ckrr debug TRACE --to N)"));
  bookmark_action_ = ev->addAction(tr("Add &bookmark..."), this, &MainWindow::addBookmark);
  bookmark_action_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
  ev->addAction(tr("&Cancel seek"), seek_, &SeekRunner::cancel);

  tb->addAction(fit);
  tb->addAction(back_action_);
  tb->addAction(zin);
  tb->addAction(zout);
  tb->addAction(zrange);
  tb->addSeparator();
  tb->addAction(seek_action_);
  tb->addAction(debug_action_);
  tb->addAction(bookmark_action_);
}

void MainWindow::buildDocks() {
  // Events: search and filter bar over the table.
  auto* evw = new QWidget;
  auto* evl = new QVBoxLayout(evw);
  evl->setContentsMargins(2, 2, 2, 2);
  auto* bar = new QHBoxLayout;
  filter_names_ = new QLineEdit;
  filter_names_->setPlaceholderText(tr("syscall names: read,write,open*"));
  filter_names_->setClearButtonEnabled(true);
  filter_thread_ = new QComboBox;
  filter_errors_ = new QCheckBox(tr("Errors only"));
  filter_range_ = new QCheckBox(tr("Only selected range"));
  filter_range_->setEnabled(false);
  filter_range_->setToolTip(tr("Shift+drag on the timeline to select a time range"));
  match_count_ = new QLabel;
  bar->addWidget(filter_names_, 2);
  bar->addWidget(filter_thread_, 1);
  bar->addWidget(filter_errors_);
  bar->addWidget(filter_range_);
  bar->addWidget(match_count_);
  evl->addLayout(bar);
  table_view_ = new QTableView;
  table_view_->setModel(table_model_);
  table_view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_view_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_view_->verticalHeader()->hide();
  table_view_->verticalHeader()->setDefaultSectionSize(20);
  table_view_->horizontalHeader()->setStretchLastSection(true);
  table_view_->setWordWrap(false);
  evl->addWidget(table_view_);
  auto* timer = new QTimer(this);  // debounce typing: a filter scan touches every event
  timer->setSingleShot(true);
  timer->setInterval(200);
  connect(timer, &QTimer::timeout, this, &MainWindow::applyFilter);
  connect(filter_names_, &QLineEdit::textChanged, timer, qOverload<>(&QTimer::start));
  connect(filter_thread_, &QComboBox::currentIndexChanged, this, &MainWindow::applyFilter);
  connect(filter_errors_, &QCheckBox::toggled, this, &MainWindow::applyFilter);
  connect(filter_range_, &QCheckBox::toggled, this, &MainWindow::applyFilter);
  connect(table_view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& cur) {
            if (!syncing_selection_ && cur.isValid())
              timeline_->selectSeq(table_model_->seqAt(cur.row()));
          });
  connect(table_view_, &QTableView::activated, this,
          [this](const QModelIndex& i) { seekTo(table_model_->seqAt(i.row())); });

  auto dock = [this](const QString& title, const char* name, QWidget* w, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);
    d->setWidget(w);
    addDockWidget(area, d);
    view_menu_->addAction(d->toggleViewAction());
    return d;
  };
  auto* events_dock = dock(tr("Events"), "eventsDock", evw, Qt::BottomDockWidgetArea);
  auto* details_dock = dock(tr("Event details"), "detailsDock", details_, Qt::RightDockWidgetArea);
  auto* disasm_dock = dock(tr("Disassembly"), "disasmDock", disasm_, Qt::RightDockWidgetArea);
  auto* seek_dock = dock(tr("Seek"), "seekDock", seek_panel_, Qt::BottomDockWidgetArea);
  tabifyDockWidget(details_dock, disasm_dock);
  details_dock->raise();
  splitDockWidget(events_dock, seek_dock, Qt::Horizontal);

  thread_view_ = new QTreeView;
  thread_view_->setModel(thread_model_);
  thread_view_->setRootIsDecorated(true);
  connect(thread_view_, &QTreeView::activated, this, [this](const QModelIndex& i) {
    const QVariant tid = thread_model_->data(i.siblingAtColumn(0), ThreadModel::TidRole);
    const int idx = tid.isValid() ? filter_thread_->findData(tid) : 0;
    filter_thread_->setCurrentIndex(std::max(idx, 0));
  });
  auto* threads_dock = dock(tr("Threads"), "threadsDock", thread_view_, Qt::LeftDockWidgetArea);

  auto* bw = new QWidget;
  auto* bl = new QVBoxLayout(bw);
  bl->setContentsMargins(2, 2, 2, 2);
  bookmark_view_ = new QTableView;
  bookmark_view_->setModel(bookmark_model_);
  bookmark_view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  bookmark_view_->verticalHeader()->hide();
  bookmark_view_->horizontalHeader()->setStretchLastSection(true);
  bl->addWidget(bookmark_view_);
  auto* bb = new QHBoxLayout;
  auto* add = new QPushButton(tr("Add at selection"));
  auto* remove = new QPushButton(tr("Remove"));
  bb->addWidget(add);
  bb->addWidget(remove);
  bb->addStretch();
  bl->addLayout(bb);
  connect(add, &QPushButton::clicked, this, &MainWindow::addBookmark);
  connect(remove, &QPushButton::clicked, this, [this] {
    const QModelIndex cur = bookmark_view_->currentIndex();
    if (cur.isValid()) bookmark_model_->removeBookmark(cur.row());
  });
  connect(bookmark_view_, &QTableView::clicked, this,
          [this](const QModelIndex& i) { timeline_->selectSeq(bookmark_model_->seqAt(i.row())); });
  auto* bookmarks_dock = dock(tr("Bookmarks"), "bookmarksDock", bw, Qt::LeftDockWidgetArea);
  tabifyDockWidget(threads_dock, bookmarks_dock);
  threads_dock->raise();
  resizeDocks({threads_dock}, {220}, Qt::Horizontal);
  resizeDocks({details_dock}, {420}, Qt::Horizontal);
  resizeDocks({events_dock}, {260}, Qt::Vertical);
}

void MainWindow::openTrace(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir))
    throw TraceError(dir.string() + ": not a directory (expected a ckrr trace)");
  QElapsedTimer t;
  t.start();
  auto db = std::make_unique<TraceDb>(dir / "timeline.db");
  TimelineModel model;
  model.load(*db);
  load_seconds_ = t.nsecsElapsed() / 1e9;

  // Detach views from the old trace before replacing it.
  table_model_->setSource(nullptr, nullptr);
  bookmark_model_->setDb(nullptr);
  trace_ = dir;
  db_ = std::move(db);
  model_ = std::move(model);
  events_ = std::make_unique<EventSource>(dir, db_.get());
  locator_ = std::make_unique<CodeLocator>(db_.get(), events_.get());
  disasm_->setLocator(locator_.get());
  details_->setModel(&model_);

  timeline_->setModel(&model_);
  overview_->setModel(&model_);
  overview_->setVisibleRange(timeline_->axis().start(), timeline_->axis().end());
  table_model_->setSource(&model_, db_.get(), events_.get());
  thread_model_->setSource(&model_);
  thread_view_->expandAll();
  for (int c = 0; c < ThreadModel::ColumnCount; ++c) thread_view_->resizeColumnToContents(c);
  bookmark_model_->setDb(db_.get());
  seek_->setTrace(QString::fromStdString(dir.string()));
  seek_panel_->setHistory(db_->seeks());
  table_view_->setColumnWidth(EventTableModel::Seq, 80);
  table_view_->setColumnWidth(EventTableModel::Time, 90);
  table_view_->setColumnWidth(EventTableModel::Thread, 60);
  table_view_->setColumnWidth(EventTableModel::Name, 110);
  table_view_->setColumnWidth(EventTableModel::Result, 80);

  filter_thread_->blockSignals(true);
  filter_thread_->clear();
  filter_thread_->addItem(tr("All threads"));
  for (const auto& th : model_.threads())
    filter_thread_->addItem(tr("%1 %2").arg(th.tid).arg(QString::fromStdString(th.name)), th.tid);
  filter_thread_->blockSignals(false);

  const bool writable = db_->writable();
  bookmark_action_->setEnabled(writable);
  if (!writable) bookmark_action_->setToolTip(tr("The trace's index is read-only"));
  // "Debug here" needs the ckrr binary and a terminal to run gdb in.
  const QString bin = seek_->binary();
  QString why;
  if (!QFileInfo(bin).isExecutable() && QStandardPaths::findExecutable(bin).isEmpty())
    why = tr("ckrr binary not found (%1); set CKRR_BIN").arg(bin);
  else if (TerminalLauncher::terminal().isEmpty())
    why = tr("No terminal emulator found to run gdb in (set $TERMINAL)");
  debug_action_->setEnabled(why.isEmpty());
  debug_action_->setToolTip(why.isEmpty() ? tr("Open gdb at the selected event") : why);

  setWindowTitle(tr("ckrr - %1").arg(QString::fromStdString(dir.filename().string())));
  details_->clear();
  match_count_->setText(tr("%1 events").arg(table_model_->rowCount()));
  updateStatus();
}

QString MainWindow::hoverText(uint64_t seq) const {
  if (!db_) return {};
  auto row = db_->event(seq);
  if (!row) return tr("event #%1").arg(seq);
  std::string text = row->name;
  if (events_)
    if (auto ev = events_->load(seq, nullptr)) text = describe_event(*ev);
  return tr("#%1  thread %2  %3\n%4")
      .arg(row->seq)
      .arg(row->tid)
      .arg(formatNs(static_cast<double>(row->time_ns)))
      .arg(QString::fromStdString(text));
}

void MainWindow::selectEvent(quint64 seq) {
  if (!db_) return;
  if (timeline_->selectedSeq() != seq) timeline_->selectSeq(seq);  // comes back here once
  std::string err;
  auto row = db_->event(seq);
  auto ev = events_->load(seq, &err);
  const QString perr = QString::fromStdString(err);
  details_->setEvent(row, ev, perr);
  disasm_->setEvent(seq, ev, perr);
  const int r = table_model_->rowOfSeq(seq);
  if (r >= 0) {
    syncing_selection_ = true;
    table_view_->selectRow(r);
    table_view_->scrollTo(table_model_->index(r, 0));
    syncing_selection_ = false;
  }
  updateStatus();
}

void MainWindow::seekTo(quint64 seq) {
  if (!db_) return;
  try {
    db_->logSeek(seq);
    seek_panel_->setHistory(db_->seeks());
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromUtf8(e.what()), 5000);  // read-only: seek anyway
  }
  seek_->seek(seq);
}

void MainWindow::showSeekResult(const SeekResult& r) {
  if (r.generation != seek_->generation()) return;
  if (r.ok && r.state.rip)
    disasm_->showCode(r.state.rip, r.state.event, tr("seek to #%1").arg(r.target));
}

void MainWindow::debugHere() {
  const auto seq = timeline_->selectedSeq();
  if (!seq) {
    statusBar()->showMessage(tr("Select an event first"), 4000);
    return;
  }
  QString err;
  if (!TerminalLauncher::launch(
          seek_->binary(),
          {"debug", QString::fromStdString(trace_.string()), "--to", QString::number(*seq)},
          &err)) {
    debug_action_->setEnabled(false);
    debug_action_->setToolTip(tr("Debug here is unavailable: %1").arg(err));
    statusBar()->showMessage(err, 8000);
  }
}

void MainWindow::addBookmark() {
  const auto seq = timeline_->selectedSeq();
  if (!seq) {
    statusBar()->showMessage(tr("Select an event first"), 4000);
    return;
  }
  bool ok = false;
  const QString note = QInputDialog::getText(
      this, tr("Bookmark"), tr("Note for event #%1:").arg(*seq), QLineEdit::Normal, QString(), &ok);
  if (ok) bookmark_model_->addBookmark(*seq, note);
}

void MainWindow::applyFilter() {
  EventFilter f;
  f.names = filter_names_->text();
  if (filter_thread_->currentIndex() > 0) f.tid = filter_thread_->currentData().toInt();
  f.errors_only = filter_errors_->isChecked();
  if (filter_range_->isChecked()) {
    if (auto r = timeline_->selectedRange()) f.range = r;
  }
  table_model_->setFilter(f);
  match_count_->setText(tr("%1 events").arg(table_model_->rowCount()));
  if (auto s = timeline_->selectedSeq()) {
    const int r = table_model_->rowOfSeq(*s);
    if (r >= 0) {
      syncing_selection_ = true;
      table_view_->selectRow(r);
      table_view_->scrollTo(table_model_->index(r, 0));
      syncing_selection_ = false;
    }
  }
}

void MainWindow::updateStatus() {
  if (!db_) return;
  const auto& a = timeline_->axis();
  QString s = tr("%1 events, %2 threads in %3 processes, %4 checkpoints   |   view %5 .. %6")
                  .arg(model_.eventCount())
                  .arg(model_.threads().size())
                  .arg(model_.processes().size())
                  .arg(model_.checkpoints().size())
                  .arg(formatPos(model_.axisUnit(), a.start() - model_.begin()),
                       formatPos(model_.axisUnit(), a.end() - model_.begin()));
  if (auto sel = timeline_->selectedSeq()) s += tr("   |   selected #%1").arg(*sel);
  status_view_->setText(s);
}

}  // namespace ckrr::gui
