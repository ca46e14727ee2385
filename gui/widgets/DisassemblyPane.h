#pragma once
// Capstone disassembly around the instruction pointer of the selected event (from its kRegs
// blob) or of a seek result. Says why when there is nothing to show.
#include <QWidget>
#include <memory>
#include <optional>

#include "storage/Event.h"

class QPlainTextEdit;
class QLabel;

namespace ckrr::gui {

class CodeLocator;
class Disassembler;

class DisassemblyPane : public QWidget {
  Q_OBJECT

 public:
  explicit DisassemblyPane(QWidget* parent = nullptr);
  ~DisassemblyPane() override;
  void setLocator(CodeLocator* locator) { locator_ = locator; }
  void setEvent(uint64_t seq, const std::optional<Event>& ev, const QString& payload_error);
  // Shows code at ip as of event seq (e.g. a seek result's rip).
  void showCode(uint64_t ip, uint64_t seq, const QString& origin);
  QString plainText() const;

 private:
  void setMessage(const QString& msg);
  CodeLocator* locator_ = nullptr;
  std::unique_ptr<Disassembler> disasm_;
  QLabel* header_;
  QPlainTextEdit* text_;
};

}  // namespace ckrr::gui
