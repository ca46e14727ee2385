#include "gui/widgets/DisassemblyPane.h"

#include <sys/user.h>

#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>
#include <cstring>
#include <exception>

#include "gui/Disassembler.h"
#include "gui/models/CodeLocator.h"

namespace ckrr::gui {

DisassemblyPane::DisassemblyPane(QWidget* parent)
    : QWidget(parent), header_(new QLabel), text_(new QPlainTextEdit) {
  auto* l = new QVBoxLayout(this);
  l->setContentsMargins(2, 2, 2, 2);
  l->addWidget(header_);
  l->addWidget(text_);
  header_->setWordWrap(true);
  header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  text_->setReadOnly(true);
  text_->setLineWrapMode(QPlainTextEdit::NoWrap);
  text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  try {
    disasm_ = std::make_unique<Disassembler>();
  } catch (const std::exception& e) {
    header_->setText(QString::fromUtf8(e.what()));
  }
  setMessage(tr("Select an event to see the code it ran."));
}

DisassemblyPane::~DisassemblyPane() = default;

QString DisassemblyPane::plainText() const {
  return header_->text() + "\n" + text_->toPlainText();
}

void DisassemblyPane::setMessage(const QString& msg) {
  header_->setText(msg);
  text_->clear();
}

void DisassemblyPane::setEvent(uint64_t seq, const std::optional<Event>& ev,
                               const QString& payload_error) {
  if (!ev) return setMessage(tr("No instruction pointer: %1").arg(payload_error));
  const Blob* regs = ev->find_blob(blob::kRegs);
  if (regs && regs->data.size() >= sizeof(user_regs_struct)) {
    user_regs_struct r;
    std::memcpy(&r, regs->data.data(), sizeof r);
    return showCode(r.rip, seq, tr("event #%1").arg(seq));
  }
  // Syscall events carry the address right after their `syscall` instruction (2 bytes long).
  const Blob* ip = ev->find_blob(blob::kIp);
  if (ip && ip->data.size() == sizeof(uint64_t)) {
    uint64_t after;
    std::memcpy(&after, ip->data.data(), sizeof after);
    return showCode(after - 2, seq, tr("the syscall of event #%1").arg(seq));
  }
  // The time plugin records the address of an emulated rdtsc in args[0].
  if (ev->kind == EventKind::Rdtsc && ev->args[0])
    return showCode(ev->args[0], seq, tr("the rdtsc of event #%1").arg(seq));
  setMessage(tr("No ip recorded for event #%1 (no register blob).").arg(seq));
}

void DisassemblyPane::showCode(uint64_t ip, uint64_t seq, const QString& origin) {
  if (!disasm_) return;
  const QString where = tr("rip 0x%1 at %2").arg(ip, 0, 16).arg(origin);
  if (!locator_) return setMessage(where + tr(": no trace"));
  std::string why;
  auto w = locator_->locate(ip, seq, &why);
  if (!w)
    return setMessage(where + tr(": code not resolvable (%1).").arg(QString::fromStdString(why)));
  header_->setText(where + tr(" in %1").arg(QString::fromStdString(w->file)));
  QString out;
  for (const auto& i : disasm_->around(w->bytes, w->base, ip, 12, 20)) {
    QString bytes;
    for (uint8_t b : i.bytes) bytes += QStringLiteral("%1 ").arg(b, 2, 16, QLatin1Char('0'));
    out += QStringLiteral("%1 %2:  %3 %4\n")
               .arg(i.address == ip ? "=>" : "  ")
               .arg(i.address, 12, 16, QLatin1Char('0'))
               .arg(bytes.leftJustified(30))
               .arg(QString::fromStdString(i.text()));
  }
  text_->setPlainText(out);
}

}  // namespace ckrr::gui
