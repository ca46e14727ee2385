#include "gui/widgets/EventDetailsPane.h"

#include <QTextBrowser>
#include <QVBoxLayout>
#include <cstring>

#include "decoder/ConstantNames.h"
#include "decoder/EventDecoder.h"
#include "gui/models/HexDump.h"
#include "gui/models/TimeFormat.h"
#include "gui/models/TimelineModel.h"

namespace ckrr::gui {
namespace {

QString esc(const std::string& s) {
  return QString::fromStdString(s).toHtmlEscaped();
}

const char* kindName(int kind) {
  switch (kind) {
    case 1:
      return "syscall";
    case 2:
      return "signal";
    case 3:
      return "rdtsc";
    case 4:
      return "exec";
    case 5:
      return "exit";
    case 6:
      return "preemption";
    case 7:
      return "syscall entry";
  }
  return "event";
}

QString section(const QString& title) {
  return QStringLiteral("<h4 style='margin:8px 0 2px 0'>%1</h4>").arg(title.toHtmlEscaped());
}

QString pre(const std::string& s) {
  return QStringLiteral("<pre style='margin:0'>%1</pre>").arg(esc(s));
}

const char* blobName(uint16_t tag) {
  switch (tag) {
    case blob::kPath:
      return "path";
    case blob::kStoredFile:
      return "stored file";
    case blob::kRegs:
      return "registers";
    case blob::kIp:
      return "ip";
    case blob::kSigInfo:
      return "siginfo";
    case blob::kData:
      return "data written";
    case blob::kAuxv:
      return "auxv";
    case blob::kRandom:
      return "AT_RANDOM bytes";
    case blob::kFdInfo:
      return "fd info";
  }
  return "blob";
}

}  // namespace

EventDetailsPane::EventDetailsPane(QWidget* parent) : QWidget(parent), text_(new QTextBrowser) {
  auto* l = new QVBoxLayout(this);
  l->setContentsMargins(0, 0, 0, 0);
  l->addWidget(text_);
  text_->setOpenLinks(false);
  clear();
}

void EventDetailsPane::clear() {
  text_->setHtml(tr("<i>Click an event in the timeline or the event list.</i>"));
}

QString EventDetailsPane::plainText() const {
  return text_->toPlainText();
}

void EventDetailsPane::setEvent(const std::optional<DbEventRow>& row,
                                const std::optional<Event>& ev, const QString& payload_error) {
  if (!row) {
    text_->setHtml(tr("<i>No such event in the index.</i>"));
    return;
  }
  QString h;
  const std::string name = row->name;
  h += QStringLiteral(
           "<h3 style='margin:2px 0'>#%1 &nbsp;%2 <span style='color:#777'>(%3)</span></h3>")
           .arg(row->seq)
           .arg(esc(name), kindName(row->kind));
  QString thread = QString::number(row->tid);
  if (model_) {
    if (auto ti = model_->threadIndexOfTid(row->tid)) {
      const auto& t = model_->threads()[*ti];
      thread += tr(" (%1, process %2)").arg(QString::fromStdString(t.name)).arg(t.pid);
    }
  }
  h += QStringLiteral("<table cellspacing=0 cellpadding=1>");
  auto kv = [&](const QString& k, const QString& v) {
    h += QStringLiteral("<tr><td style='color:#555;padding-right:10px'>%1</td><td>%2</td></tr>")
             .arg(k.toHtmlEscaped(), v);
  };
  kv(tr("thread"), thread.toHtmlEscaped());
  kv(tr("time"),
     formatNs(static_cast<double>(row->time_ns)) + QStringLiteral(" (%1 ns)").arg(row->time_ns));
  const DecodedEvent decoded = ev ? EventDecoder(DecodeOptions{64, false}).decode(*ev)
                                  : DecodedEvent{};
  kv(tr("call"), esc(ev ? decoded.text : name));
  if (ev)
    kv(tr("replay"), ev->mode == ReplayMode::Emulate     ? tr("emulated from the log")
                     : ev->mode == ReplayMode::Reexecute ? tr("re-executed")
                                                         : tr("re-executed, result forced"));

  if (ev && ev->kind == EventKind::Syscall) {
    const DecodedEvent& d = decoded;
    kv(tr("result"), QStringLiteral("<b style='color:%1'>%2</b>")
                         .arg(d.error ? "#c02020" : "#000", esc(d.result)));
    h += QStringLiteral("</table>");
    h += section(tr("Arguments"));
    h += QStringLiteral("<table cellspacing=0 cellpadding=1>");
    for (const auto& a : d.args)
      h += QStringLiteral(
               "<tr><td style='color:#555;padding-right:10px'>%1</td><td><tt>%2</tt></td></tr>")
               .arg(esc(a.name), esc(a.value));
    h += QStringLiteral("</table>");
  } else {
    QString res = QString::number(row->result);
    if (isErrorResult(row->kind, row->result))
      res = QStringLiteral("<b style='color:#c02020'>%1</b>")
                .arg(esc("-1 " + errno_text(static_cast<int>(-row->result))));
    kv(tr("result"), res);
    h += QStringLiteral("</table>");
  }

  if (!ev) {
    h += QStringLiteral("<p style='color:#a05000'>%1</p>")
             .arg(tr("Payload not available (%1): arguments and data are not shown.")
                      .arg(payload_error.toHtmlEscaped()));
    text_->setHtml(h);
    return;
  }
  // Data the kernel wrote into the process (read() buffers, stat structs...).
  for (const auto& w : ev->writes) {
    h += section(tr("Memory written by the kernel: %1 bytes at 0x%2")
                     .arg(w.bytes.size())
                     .arg(w.addr, 0, 16));
    h += pre(hexDump(w.bytes, w.addr));
  }
  for (const auto& b : ev->blobs) {
    if (b.tag == blob::kRegs) continue;  // shown by the disassembly/registers views
    if (b.tag == blob::kIp && b.data.size() == sizeof(uint64_t)) {
      uint64_t ip;
      std::memcpy(&ip, b.data.data(), sizeof ip);
      h += section(tr("syscall instruction at 0x%1").arg(ip - 2, 0, 16));
      continue;
    }
    if (b.tag == blob::kPath || b.tag == blob::kStoredFile) {
      h += section(tr(blobName(b.tag)));
      h += pre(std::string(b.text()));
      continue;
    }
    h += section(tr("%1: %2 bytes").arg(tr(blobName(b.tag))).arg(b.data.size()));
    h += pre(hexDump(b.data, 0));
  }
  if (ev->writes.empty() && !ev->find_blob(blob::kData))
    h += QStringLiteral("<p style='color:#777'>%1</p>").arg(tr("No data read or written."));
  text_->setHtml(h);
}

}  // namespace ckrr::gui
