#include "gui/widgets/SeekPanel.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace ckrr::gui {

SeekPanel::SeekPanel(QWidget* parent)
    : QWidget(parent),
      status_(new QLabel(tr("Double-click an event (or press Enter) to replay to it."))),
      bar_(new QProgressBar),
      cancel_(new QPushButton(tr("Cancel"))),
      tabs_(new QTabWidget),
      regs_(new QTableWidget(0, 2)),
      output_(new QPlainTextEdit),
      backtrace_(new QPlainTextEdit),
      history_(new QListWidget) {
  auto* top = new QHBoxLayout;
  top->addWidget(bar_, 1);
  top->addWidget(cancel_);
  auto* l = new QVBoxLayout(this);
  l->setContentsMargins(2, 2, 2, 2);
  l->addWidget(status_);
  l->addLayout(top);
  l->addWidget(tabs_, 1);
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  bar_->setRange(0, 1);
  bar_->setValue(0);
  cancel_->setEnabled(false);
  const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  regs_->setHorizontalHeaderLabels({tr("Register"), tr("Value")});
  regs_->horizontalHeader()->setStretchLastSection(true);
  regs_->verticalHeader()->hide();
  regs_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  regs_->setFont(mono);
  output_->setReadOnly(true);
  output_->setFont(mono);
  output_->setPlaceholderText(tr("Program output up to the event appears here."));
  tabs_->addTab(regs_, tr("Registers"));
  tabs_->addTab(output_, tr("Output"));
  backtrace_->setReadOnly(true);
  backtrace_->setFont(mono);
  backtrace_->setPlaceholderText(tr("The backtrace at the event (from gdb) appears here."));
  tabs_->addTab(backtrace_, tr("Backtrace"));
  tabs_->addTab(history_, tr("History"));
  history_->setToolTip(tr("Seeks made on this trace; double-click to seek again"));
  connect(cancel_, &QPushButton::clicked, this, &SeekPanel::cancelRequested);
  connect(history_, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem* it) {
    emit seekRequested(it->data(Qt::UserRole).toULongLong());
  });
}

void SeekPanel::setHistory(const std::vector<DbSeek>& seeks) {
  history_->clear();
  for (auto it = seeks.rbegin(); it != seeks.rend(); ++it) {
    auto* item = new QListWidgetItem(
        tr("#%1   %2").arg(it->seq).arg(QString::fromStdString(it->at)), history_);
    item->setData(Qt::UserRole, QVariant::fromValue<qulonglong>(it->seq));
  }
}

QString SeekPanel::statusText() const {
  return status_->text();
}
QString SeekPanel::outputText() const {
  return output_->toPlainText();
}
int SeekPanel::registerCount() const {
  return regs_->rowCount();
}

void SeekPanel::onStarted(quint64 generation, quint64 event) {
  generation_ = generation;
  status_->setText(tr("Replaying to event #%1...").arg(event));
  bar_->setRange(0, 0);  // busy until the first progress line gives a total
  cancel_->setEnabled(true);
  output_->clear();
}

void SeekPanel::onProgress(quint64 generation, quint64 done, quint64 total) {
  if (generation != generation_ || total == 0) return;
  // QProgressBar takes int: scale big event counts down.
  const double f = static_cast<double>(done) / static_cast<double>(total);
  bar_->setRange(0, 1000);
  bar_->setValue(static_cast<int>(f * 1000));
  bar_->setFormat(tr("%1 / %2 events").arg(done).arg(total));
}

void SeekPanel::onOutput(quint64 generation, const QString& text) {
  if (generation != generation_) return;
  output_->moveCursor(QTextCursor::End);
  output_->insertPlainText(text);
}

void SeekPanel::onFinished(const SeekResult& r) {
  if (r.generation != generation_) return;  // a newer seek owns the panel
  cancel_->setEnabled(false);
  bar_->setRange(0, 1000);
  bar_->setValue(r.ok ? 1000 : 0);
  output_->setPlainText(r.output);
  backtrace_->setPlainText(r.ok ? tr("Asking gdb for the backtrace...") : QString());
  if (!r.ok) {
    status_->setText(tr("Seek to #%1 failed: %2").arg(r.target).arg(r.error));
    return;
  }
  const auto& s = r.state;
  status_->setText(tr("At event #%1, thread %2, rip 0x%3 %4\nmemory %5  fds %6")
                       .arg(s.event)
                       .arg(s.thread)
                       .arg(s.rip, 0, 16)
                       .arg(s.symbol.isEmpty() ? QString() : QStringLiteral("(%1)").arg(s.symbol))
                       .arg(s.memory_sha.left(16), s.fds_sha.left(16)));
  regs_->setRowCount(static_cast<int>(s.regs.size()));
  for (int i = 0; i < static_cast<int>(s.regs.size()); ++i) {
    regs_->setItem(i, 0, new QTableWidgetItem(s.regs[i].first));
    regs_->setItem(i, 1,
                   new QTableWidgetItem(QStringLiteral("0x%1  (%2)")
                                            .arg(s.regs[i].second, 16, 16, QLatin1Char('0'))
                                            .arg(static_cast<qint64>(s.regs[i].second))));
  }
  tabs_->setCurrentWidget(regs_);
}

void SeekPanel::onBacktrace(quint64 generation, const QStringList& frames, const QString& error) {
  if (generation != generation_) return;
  backtrace_->setPlainText(frames.isEmpty() ? error : frames.join('\n'));
}

QString SeekPanel::backtraceText() const {
  return backtrace_->toPlainText();
}

void SeekPanel::onCanceled(quint64 generation) {
  if (generation != generation_) return;
  cancel_->setEnabled(false);
  bar_->setRange(0, 1);
  bar_->setValue(0);
  status_->setText(tr("Seek canceled."));
}

}  // namespace ckrr::gui
