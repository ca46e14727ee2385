#pragma once
// Runs `ckrr replay TRACE --to N --print-state --state-out FILE --progress` in the background and
// reports progress, the program's output and the state at the event. One seek at a time: a new
// seek kills the running one and its result is never delivered (stale results are dropped).
//
// CLI contract relied on:
//   stdout/stderr: the replayed program's output; stderr lines starting with "ckrr-progress: "
//     carry "DONE/TOTAL" and are not program output;
//   FILE: lines "event: N", "thread: TID", "rip: 0xHEX SYMBOL+0xOFF", "reg NAME 0xHEX" (one per
//     register), "memory: SHA256", "fds: SHA256";
//   exit status 0 on success, else stderr says why.
// After a successful seek it runs `ckrr debug TRACE --to N --batch bt` (gdb against the
// replay's stub) and reports the frames gdb prints ("#N ..." lines) as the backtrace.
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <memory>
#include <utility>
#include <vector>

namespace ckrr::gui {

struct SeekState {
  quint64 event = 0;
  qint64 thread = 0;
  quint64 rip = 0;
  QString symbol;  // "main+0x1c", or empty
  std::vector<std::pair<QString, quint64>> regs;
  QString memory_sha, fds_sha;
  // Parses the --state-out file; false (and *error) when a required line is missing or bad.
  static bool parse(const QString& text, SeekState* out, QString* error);
};

struct SeekResult {
  quint64 generation = 0;
  quint64 target = 0;
  bool ok = false;
  QString error;    // when !ok
  QString output;   // program output (stdout and stderr, progress lines removed)
  SeekState state;  // when ok
};

class SeekRunner : public QObject {
  Q_OBJECT

 public:
  explicit SeekRunner(QObject* parent = nullptr);
  ~SeekRunner() override;

  // CKRR_BIN, else this executable if it is `ckrr`, else a `ckrr` next to it or in ../cli.
  static QString ckrrBinary();
  void setTrace(const QString& trace_dir) { trace_ = trace_dir; }
  void setBinary(const QString& bin) { bin_ = bin; }
  QString binary() const { return bin_; }

  // Starts a seek (cancelling any running one); returns its generation number.
  quint64 seek(quint64 event);
  void cancel();
  bool running() const { return proc_ != nullptr; }
  quint64 generation() const { return generation_; }

 signals:
  void started(quint64 generation, quint64 event);
  void progress(quint64 generation, quint64 done, quint64 total);
  void outputReceived(quint64 generation, const QString& text);
  void finished(const SeekResult& result);
  void canceled(quint64 generation);
  // gdb's backtrace at the seek's event (one line per frame), or why there is none.
  void backtraceReady(quint64 generation, const QStringList& frames, const QString& error);

 private:
  void stopProcess();
  void onStderr();
  void onFinished(int code, QProcess::ExitStatus status);
  void startBacktrace(quint64 generation, quint64 event);
  QString trace_;
  QString bin_;
  quint64 generation_ = 0;
  quint64 target_ = 0;
  QProcess* proc_ = nullptr;
  QProcess* bt_proc_ = nullptr;
  std::unique_ptr<QTemporaryDir> tmp_;
  QByteArray stderr_partial_;
  QString output_;
  QString last_error_line_;
};

}  // namespace ckrr::gui
