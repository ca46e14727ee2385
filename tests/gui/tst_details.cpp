// The event details pane on a tiny trace written with the real storage writer: a read() shows
// the bytes read, a write() the bytes written, a failed openat its errno and decoded flags; the
// disassembly pane finds code through the stored executable. Plus the decoders on their own.
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/user.h>

#include <QTest>
#include <cstring>
#include <fstream>

#include "gui/Disassembler.h"
#include "gui/models/CodeLocator.h"
#include "gui/models/HexDump.h"
#include "decoder/ConstantNames.h"
#include "decoder/EventDecoder.h"
#include "gui/widgets/DisassemblyPane.h"
#include "gui/widgets/EventDetailsPane.h"
#include "gui/widgets/MainWindow.h"
#include "storage/EventLogWriter.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

using namespace ckrr;
using namespace ckrr::gui;

// A function with a body worth disassembling; its bytes are read back from the ELF file.
extern "C" __attribute__((noinline, used)) int ckrr_test_target(int x) {
  return x * 7 + 3;
}

class TestDetails : public QObject {
  Q_OBJECT

  QTemporaryDir tmp_;
  std::filesystem::path dir_;
  uint64_t target_ip_ = 0;

 private slots:
  void initTestCase() {
    dir_ = std::filesystem::path(tmp_.path().toStdString()) / "trace";
    auto td = TraceDirectory::create(dir_, false);
    auto index = TimelineIndex::create(td.index_db());

    // The "recorded" executable is this test binary, stored like the recorder stores files.
    const std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
    std::filesystem::create_directories(dir_ / "files" / "abc");
    std::filesystem::copy_file(exe, dir_ / "files/abc/prog");
    index->add_mapped_file({"/usr/bin/prog", "files/abc/prog", std::filesystem::file_size(exe), 1});
    Dl_info info{};
    QVERIFY(dladdr(reinterpret_cast<void*>(&ckrr_test_target), &info));
    Elf64_Ehdr eh{};
    std::ifstream(exe, std::ios::binary).read(reinterpret_cast<char*>(&eh), sizeof eh);
    const auto fn = reinterpret_cast<uint64_t>(&ckrr_test_target);
    // Where the recorder (ASLR off) would have run it.
    target_ip_ = eh.e_type == ET_DYN
                     ? CodeLocator::kPieBase + (fn - reinterpret_cast<uint64_t>(info.dli_fbase))
                     : fn;

    {
      EventLogWriter w(td.events_log(), index.get(), 64);
      Event ex;
      ex.seq = 1;
      ex.tid = 300;
      ex.kind = EventKind::Exec;
      ex.nr = 59;
      ex.add_text(blob::kPath, "/usr/bin/prog");
      ex.time_ns = 1000;
      w.append(ex);

      Event rd;
      rd.seq = 2;
      rd.tid = 300;
      rd.nr = 0;  // read
      rd.args[0] = 3;
      rd.args[1] = 0x7ffd1000;
      rd.args[2] = 64;
      rd.result = 11;
      rd.time_ns = 2000;
      rd.writes.push_back({0x7ffd1000, {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'}});
      w.append(rd);

      Event wr;
      wr.seq = 3;
      wr.tid = 300;
      wr.nr = 1;  // write
      wr.args[0] = 1;
      wr.args[1] = 0x5000;
      wr.args[2] = 6;
      wr.result = 6;
      wr.time_ns = 3000;
      wr.add_text(blob::kData, "ckrr!\n");
      const uint64_t after_syscall = target_ip_ + 2;  // the recorder stores rip after `syscall`
      wr.add_blob(blob::kIp, &after_syscall, sizeof after_syscall);
      w.append(wr);

      Event op;
      op.seq = 4;
      op.tid = 300;
      op.nr = 257;  // openat
      op.args[0] = static_cast<uint64_t>(static_cast<int64_t>(AT_FDCWD));
      op.args[1] = 0x6000;
      op.args[2] = O_RDONLY | O_CLOEXEC;
      op.result = -2;
      op.time_ns = 4000;
      op.add_text(blob::kPath, "/nope");
      w.append(op);

      Event sg;
      sg.seq = 5;
      sg.tid = 300;
      sg.kind = EventKind::Signal;
      sg.nr = 11;
      sg.time_ns = 5000;
      user_regs_struct regs{};
      regs.rip = target_ip_;
      sg.add_blob(blob::kRegs, &regs, sizeof regs);
      w.append(sg);

      Event ts;
      ts.seq = 6;
      ts.tid = 300;
      ts.kind = EventKind::Rdtsc;
      ts.nr = 2;
      ts.args[0] = target_ip_;  // where the time plugin records the rdtsc's address
      ts.result = 123456789;
      ts.time_ns = 6000;
      w.append(ts);
      w.close();
    }
    index->add_thread({300, 300, "prog", 1, 6});
    index->finalize();
  }

  void readShowsBytesRead() {
    MainWindow win;
    win.openTrace(dir_);
    win.selectEvent(2);
    const QString t = win.details()->plainText();
    QVERIFY2(t.contains("#2"), qPrintable(t));
    QVERIFY2(t.contains("read"), qPrintable(t));
    QVERIFY2(t.contains("Memory written by the kernel: 11 bytes at 0x7ffd1000"), qPrintable(t));
    QVERIFY2(t.contains("68 65 6c 6c 6f 20 77 6f  72 6c 64"), qPrintable(t));
    QVERIFY2(t.contains("|hello world|"), qPrintable(t));
    QVERIFY2(t.contains("read(3, \"hello world\", 64) = 11"), qPrintable(t));  // decoded call
    QVERIFY2(t.contains("300 (prog, process 300)"), qPrintable(t));
    QVERIFY2(t.contains("count") && t.contains("64"), qPrintable(t));
    QVERIFY2(t.contains("2.00 us"), qPrintable(t));
  }

  void writeShowsBytesWritten() {
    MainWindow win;
    win.openTrace(dir_);
    win.selectEvent(3);
    const QString t = win.details()->plainText();
    QVERIFY2(t.contains("data written: 6 bytes"), qPrintable(t));
    QVERIFY2(t.contains("63 6b 72 72 21 0a"), qPrintable(t));
    QVERIFY2(t.contains("\"ckrr!\\n\""), qPrintable(t));  // the buf argument, decoded
    QVERIFY2(t.contains(QString("syscall instruction at 0x%1").arg(target_ip_, 0, 16)),
             qPrintable(t));
  }

  void failedOpenShowsErrnoAndFlags() {
    MainWindow win;
    win.openTrace(dir_);
    win.selectEvent(4);
    const QString t = win.details()->plainText();
    QVERIFY2(t.contains("-1 ENOENT (No such file or directory)"), qPrintable(t));
    QVERIFY2(t.contains("O_RDONLY|O_CLOEXEC"), qPrintable(t));
    QVERIFY2(t.contains("AT_FDCWD"), qPrintable(t));
    QVERIFY2(t.contains("\"/nope\""), qPrintable(t));
  }

  void disassemblyAtRecordedIp() {
    MainWindow win;
    win.openTrace(dir_);
    win.selectEvent(5);
    const QString t = win.disassembly()->plainText();
    const QString here = QString("=> %1:").arg(target_ip_, 12, 16, QLatin1Char('0'));
    QVERIFY2(t.contains(here), qPrintable(t));
    QVERIFY2(t.contains("/usr/bin/prog"), qPrintable(t));
    // The first instruction is what is in memory at the function here.
    Disassembler d;
    auto first =
        d.disassemble({reinterpret_cast<const uint8_t*>(&ckrr_test_target), 16}, target_ip_, 1);
    QCOMPARE(first.size(), size_t{1});
    QVERIFY2(t.contains(QString::fromStdString(first[0].text())), qPrintable(t));

    // An rdtsc event has its instruction's address.
    win.selectEvent(6);
    QVERIFY2(win.disassembly()->plainText().contains(here),
             qPrintable(win.disassembly()->plainText()));

    // A syscall event has the address of its syscall instruction.
    win.selectEvent(3);
    QVERIFY2(win.disassembly()->plainText().contains(here),
             qPrintable(win.disassembly()->plainText()));

    // An event without registers says so.
    win.selectEvent(2);
    QVERIFY(win.disassembly()->plainText().contains("No ip recorded"));
  }

  void missingLogIsExplained() {
    QTemporaryDir t2;
    const auto d2 = std::filesystem::path(t2.path().toStdString()) / "copy";
    std::filesystem::create_directories(d2);
    std::filesystem::copy_file(dir_ / "timeline.db", d2 / "timeline.db");
    MainWindow win;
    win.openTrace(d2);
    win.selectEvent(2);
    const QString t = win.details()->plainText();
    QVERIFY2(t.contains("Payload not available"), qPrintable(t));
    QVERIFY2(t.contains("events.log"), qPrintable(t));
    // The index row still gives the name and the result.
    QVERIFY2(t.contains("read") && t.contains("11"), qPrintable(t));
  }

  void decoders() {
    using F = ConstantFamily;
    QCOMPARE(QString::fromStdString(constant_text(F::Open, O_WRONLY | O_CREAT | O_TRUNC)),
             QString("O_WRONLY|O_CREAT|O_TRUNC"));
    QCOMPARE(QString::fromStdString(constant_text(F::Prot, 5)), QString("PROT_READ|PROT_EXEC"));
    QCOMPARE(QString::fromStdString(constant_text(F::Map, 0x22)),
             QString("MAP_PRIVATE|MAP_ANONYMOUS"));
    QCOMPARE(QString::fromStdString(constant_text(F::Futex, 0x80)),
             QString("FUTEX_WAIT_PRIVATE"));
    QCOMPARE(QString::fromStdString(constant_text(F::Clone, 0x3d0f00)),
             QString("CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
                     "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID"));
    QCOMPARE(QString::fromStdString(errno_text(11)),
             QString("EAGAIN (Resource temporarily unavailable)"));
    Event mm;
    mm.nr = 9;
    mm.args[1] = 4096;
    mm.args[2] = 3;
    mm.args[3] = 0x22;
    mm.args[4] = static_cast<uint64_t>(-1);
    mm.result = 0x7ffff7fb4000;
    auto d = EventDecoder().decode(mm);
    QCOMPARE(QString::fromStdString(d.result), QString("0x7ffff7fb4000"));
    QCOMPARE(QString::fromStdString(d.args[2].value), QString("PROT_READ|PROT_WRITE"));
    QCOMPARE(QString::fromStdString(d.args[4].value), QString("-1"));
  }

  void hexDumpFormat() {
    const uint8_t b[18] = {'A', 'B', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0xff, 'z'};
    const std::string s = hexDump(b, 0x1000);
    QCOMPARE(
        QString::fromStdString(s),
        QString(
            "000000001000  41 42 00 01 02 03 04 05  06 07 08 09 0a 0b 0c 0d  |AB..............|\n"
            "000000001010  ff 7a                                             |.z|\n"));
    QVERIFY(hexDump(b, 0, 4).find("14 more bytes") != std::string::npos);
  }
};

QTEST_MAIN(TestDetails)
#include "tst_details.moc"
