// Disassembler (Capstone) on known x86-64 bytes, forwards and around an ip.
#include <QTest>

#include "gui/Disassembler.h"

using ckrr::gui::Disassembler;

namespace {

// push rbp; mov rbp,rsp; sub rsp,0x10; mov eax,0x2a; leave; ret; syscall
const uint8_t kCode[] = {0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x10, 0xb8,
                         0x2a, 0x00, 0x00, 0x00, 0xc9, 0xc3, 0x0f, 0x05};

QStringList texts(const std::vector<ckrr::gui::Instruction>& v) {
  QStringList out;
  for (const auto& i : v) out << QString::fromStdString(i.text());
  return out;
}

}  // namespace

class TestDisassembler : public QObject {
  Q_OBJECT

 private slots:
  void knownBytes() {
    Disassembler d;
    auto v = d.disassemble(kCode, 0x401000);
    QCOMPARE(texts(v), QStringList({"push rbp", "mov rbp, rsp", "sub rsp, 0x10", "mov eax, 0x2a",
                                    "leave", "ret", "syscall"}));
    QCOMPARE(v[0].address, uint64_t{0x401000});
    QCOMPARE(v[3].address, uint64_t{0x401008});
    QCOMPARE(v[3].bytes.size(), size_t{5});
    QCOMPARE(d.disassemble(kCode, 0, 2).size(), size_t{2});
  }

  void stopsAtTruncatedInstruction() {
    Disassembler d;
    // mov eax, imm32 cut after two bytes: only the first instructions decode.
    auto v = d.disassemble(std::span(kCode, 10), 0);
    QCOMPARE(texts(v), QStringList({"push rbp", "mov rbp, rsp", "sub rsp, 0x10"}));
  }

  void aroundIp() {
    Disassembler d;
    // ip at "mov eax, 0x2a": two before, two from it.
    auto v = d.around(kCode, 0x1000, 0x1008, 2, 2);
    QCOMPARE(texts(v), QStringList({"mov rbp, rsp", "sub rsp, 0x10", "mov eax, 0x2a", "leave"}));
    QCOMPARE(v[2].address, uint64_t{0x1008});
    // ip at the start: nothing before.
    QCOMPARE(texts(d.around(kCode, 0x1000, 0x1000, 3, 1)), QStringList({"push rbp"}));
    // ip outside the bytes: nothing.
    QVERIFY(d.around(kCode, 0x1000, 0x2000, 3, 3).empty());
  }
};

QTEST_APPLESS_MAIN(TestDisassembler)
#include "tst_disassembler.moc"
