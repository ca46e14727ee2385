#pragma once
// Seek progress (bar + cancel), then the state at the event: registers, symbol, the program's
// output up to that point; and the history of seeks stored in the trace.
#include <QWidget>
#include <vector>

#include "gui/SeekRunner.h"
#include "gui/models/TraceDb.h"

class QLabel;
class QProgressBar;
class QPushButton;
class QPlainTextEdit;
class QTableWidget;
class QListWidget;
class QTabWidget;

namespace ckrr::gui {

class SeekPanel : public QWidget {
  Q_OBJECT

 public:
  explicit SeekPanel(QWidget* parent = nullptr);
  void setHistory(const std::vector<DbSeek>& seeks);
  QString statusText() const;
  QString outputText() const;
  int registerCount() const;

 public slots:
  void onStarted(quint64 generation, quint64 event);
  void onProgress(quint64 generation, quint64 done, quint64 total);
  void onOutput(quint64 generation, const QString& text);
  void onFinished(const SeekResult& r);
  void onBacktrace(quint64 generation, const QStringList& frames, const QString& error);
  QString backtraceText() const;
  void onCanceled(quint64 generation);

 signals:
  void cancelRequested();
  void seekRequested(quint64 event);

 private:
  quint64 generation_ = 0;
  QLabel* status_;
  QProgressBar* bar_;
  QPushButton* cancel_;
  QTabWidget* tabs_;
  QTableWidget* regs_;
  QPlainTextEdit* output_;
  QPlainTextEdit* backtrace_;
  QListWidget* history_;
};

}  // namespace ckrr::gui
