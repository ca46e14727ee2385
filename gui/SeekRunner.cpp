#include "gui/SeekRunner.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace ckrr::gui {
namespace {

const QByteArray kProgressPrefix = "ckrr-progress: ";

bool parseHex(const QString& s, quint64* v) {
  bool ok = false;
  QString t = s.trimmed();
  if (t.startsWith("0x") || t.startsWith("0X")) t = t.mid(2);
  *v = t.toULongLong(&ok, 16);
  return ok;
}

}  // namespace

bool SeekState::parse(const QString& text, SeekState* out, QString* error) {
  SeekState s;
  bool have_event = false, have_rip = false;
  auto fail = [&](const QString& why) {
    if (error) *error = why;
    return false;
  };
  for (const QString& raw : text.split('\n', Qt::SkipEmptyParts)) {
    const QString line = raw.trimmed();
    if (line.startsWith("event:")) {
      bool ok = false;
      s.event = line.mid(6).trimmed().toULongLong(&ok);
      if (!ok) return fail(QStringLiteral("bad line: %1").arg(line));
      have_event = true;
    } else if (line.startsWith("thread:")) {
      s.thread = line.mid(7).trimmed().toLongLong();
    } else if (line.startsWith("rip:")) {
      const QStringList parts = line.mid(4).trimmed().split(' ', Qt::SkipEmptyParts);
      if (parts.isEmpty() || !parseHex(parts[0], &s.rip))
        return fail(QStringLiteral("bad line: %1").arg(line));
      if (parts.size() > 1) s.symbol = parts.mid(1).join(' ');
      have_rip = true;
    } else if (line.startsWith("reg ")) {
      const QStringList parts = line.split(' ', Qt::SkipEmptyParts);
      quint64 v = 0;
      if (parts.size() != 3 || !parseHex(parts[2], &v))
        return fail(QStringLiteral("bad line: %1").arg(line));
      s.regs.emplace_back(parts[1], v);
    } else if (line.startsWith("memory:")) {
      s.memory_sha = line.mid(7).trimmed();
    } else if (line.startsWith("fds:")) {
      s.fds_sha = line.mid(4).trimmed();
    }
    // Unknown lines are ignored: the CLI may add fields later.
  }
  if (!have_event) return fail(QStringLiteral("no \"event:\" line"));
  if (!have_rip) return fail(QStringLiteral("no \"rip:\" line"));
  *out = std::move(s);
  return true;
}

SeekRunner::SeekRunner(QObject* parent) : QObject(parent), bin_(ckrrBinary()) {}

SeekRunner::~SeekRunner() {
  if (bt_proc_) {
    bt_proc_->disconnect(this);
    bt_proc_->kill();
    bt_proc_->waitForFinished(1000);
  }
  stopProcess();
}

QString SeekRunner::ckrrBinary() {
  const QByteArray env = qgetenv("CKRR_BIN");
  if (!env.isEmpty()) return QString::fromLocal8Bit(env);
  const QString self = QCoreApplication::applicationFilePath();
  const QFileInfo fi(self);
  if (fi.fileName() == "ckrr") return self;  // the GUI linked into the ckrr binary
  for (const QString& rel : {QStringLiteral("ckrr"), QStringLiteral("../cli/ckrr")}) {
    const QFileInfo cand(fi.dir().filePath(rel));
    if (cand.isExecutable()) return cand.canonicalFilePath();
  }
  return QStringLiteral("ckrr");  // from PATH
}

quint64 SeekRunner::seek(quint64 event) {
  stopProcess();
  const quint64 gen = ++generation_;
  target_ = event;
  output_.clear();
  stderr_partial_.clear();
  last_error_line_.clear();
  tmp_ = std::make_unique<QTemporaryDir>();
  const QString state_file = tmp_->filePath("state.txt");

  proc_ = new QProcess(this);
  QProcess* p = proc_;
  // Every handler checks the generation: a killed process may still deliver queued signals.
  connect(p, &QProcess::readyReadStandardOutput, this, [this, p, gen] {
    if (p != proc_ || gen != generation_) return;
    const QString text = QString::fromLocal8Bit(p->readAllStandardOutput());
    output_ += text;
    emit outputReceived(gen, text);
  });
  connect(p, &QProcess::readyReadStandardError, this, [this, p, gen] {
    if (p == proc_ && gen == generation_) onStderr();
  });
  connect(p, &QProcess::finished, this, [this, p, gen](int code, QProcess::ExitStatus st) {
    if (p == proc_ && gen == generation_) onFinished(code, st);
  });
  connect(p, &QProcess::errorOccurred, this, [this, p, gen](QProcess::ProcessError err) {
    if (err != QProcess::FailedToStart || p != proc_ || gen != generation_) return;
    SeekResult r;
    r.generation = gen;
    r.target = target_;
    r.error = tr("cannot run %1: %2").arg(bin_, p->errorString());
    proc_ = nullptr;
    p->deleteLater();
    emit finished(r);
  });
  emit started(gen, event);
  p->start(bin_, {QStringLiteral("replay"), trace_, QStringLiteral("--to"), QString::number(event),
                  QStringLiteral("--print-state"), QStringLiteral("--state-out"), state_file,
                  QStringLiteral("--progress")});
  return gen;
}

void SeekRunner::cancel() {
  if (!proc_) return;
  const quint64 gen = generation_;
  stopProcess();
  ++generation_;  // anything still queued from it is stale now
  emit canceled(gen);
}

void SeekRunner::stopProcess() {
  if (!proc_) return;
  QProcess* p = proc_;
  proc_ = nullptr;
  p->disconnect(this);
  if (p->state() != QProcess::NotRunning) {
    p->kill();
    p->waitForFinished(2000);
  }
  p->deleteLater();
}

void SeekRunner::onStderr() {
  stderr_partial_ += proc_->readAllStandardError();
  QString shown;
  qsizetype nl;
  while ((nl = stderr_partial_.indexOf('\n')) >= 0) {
    const QByteArray line = stderr_partial_.left(nl + 1);
    stderr_partial_.remove(0, nl + 1);
    if (line.startsWith(kProgressPrefix)) {
      const QByteArray v = line.mid(kProgressPrefix.size()).trimmed();
      const qsizetype slash = v.indexOf('/');
      if (slash > 0)
        emit progress(generation_, v.left(slash).toULongLong(), v.mid(slash + 1).toULongLong());
      continue;
    }
    const QString text = QString::fromLocal8Bit(line);
    if (!text.trimmed().isEmpty()) last_error_line_ = text.trimmed();
    shown += text;
  }
  if (!shown.isEmpty()) {
    output_ += shown;
    emit outputReceived(generation_, shown);
  }
}

void SeekRunner::onFinished(int code, QProcess::ExitStatus status) {
  // Drain what is left (a last line without a newline counts too).
  output_ += QString::fromLocal8Bit(proc_->readAllStandardOutput());
  stderr_partial_ += proc_->readAllStandardError();
  if (!stderr_partial_.isEmpty() && !stderr_partial_.startsWith(kProgressPrefix)) {
    output_ += QString::fromLocal8Bit(stderr_partial_);
    last_error_line_ = QString::fromLocal8Bit(stderr_partial_).trimmed();
  }
  stderr_partial_.clear();

  SeekResult r;
  r.generation = generation_;
  r.target = target_;
  r.output = output_;
  if (status != QProcess::NormalExit) {
    r.error = tr("ckrr replay crashed");
  } else if (code != 0) {
    r.error = tr("ckrr replay failed (exit status %1)").arg(code);
    if (!last_error_line_.isEmpty()) r.error += ": " + last_error_line_;
  } else {
    QFile f(tmp_->filePath("state.txt"));
    QString err;
    if (!f.open(QIODevice::ReadOnly)) {
      r.error = tr("ckrr replay wrote no state file");
    } else if (!SeekState::parse(QString::fromUtf8(f.readAll()), &r.state, &err)) {
      r.error = tr("unreadable state file: %1").arg(err);
    } else if (r.state.event != target_) {
      r.error = tr("replay stopped at event %1, not %2").arg(r.state.event).arg(target_);
    } else {
      r.ok = true;
    }
  }
  QProcess* p = proc_;
  proc_ = nullptr;
  p->deleteLater();
  emit finished(r);
  if (r.ok) startBacktrace(r.generation, r.target);
}

void SeekRunner::startBacktrace(quint64 generation, quint64 event) {
  if (bt_proc_) {
    bt_proc_->disconnect(this);
    bt_proc_->kill();
    bt_proc_->deleteLater();
  }
  auto* p = new QProcess(this);
  bt_proc_ = p;
  connect(
      p, &QProcess::finished, this, [this, p, generation](int code, QProcess::ExitStatus status) {
        QStringList frames;
        for (const QString& line : QString::fromLocal8Bit(p->readAllStandardOutput()).split('\n'))
          if (line.startsWith('#')) frames << line;
        QString error;
        if (frames.isEmpty())
          error = status == QProcess::NormalExit && code == 0
                      ? tr("gdb printed no frames")
                      : tr("no backtrace (ckrr debug exited with %1; is gdb installed?)").arg(code);
        if (bt_proc_ == p) bt_proc_ = nullptr;
        p->deleteLater();
        if (generation == generation_) emit backtraceReady(generation, frames, error);
      });
  connect(p, &QProcess::errorOccurred, this, [this, p, generation](QProcess::ProcessError e) {
    if (e != QProcess::FailedToStart) return;
    if (bt_proc_ == p) bt_proc_ = nullptr;
    p->deleteLater();
    if (generation == generation_)
      emit backtraceReady(generation, {}, tr("cannot run %1").arg(bin_));
  });
  p->start(bin_, {"debug", trace_, "--to", QString::number(event), "--batch", "bt"});
}

}  // namespace ckrr::gui
