#include "gui/GuiMain.h"

#include <QApplication>
#include <QImage>
#include <QMessageBox>
#include <QPixmap>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "gui/widgets/MainWindow.h"
#include "gui/widgets/TimelineView.h"

namespace ckrr::gui {
namespace {

void usage() {
  std::fprintf(stderr,
               "usage: ckrr gui TRACE [--screenshot FILE.png [--select EVENT] [--size WxH]]\n");
}

}  // namespace

int run_gui(int argc, char** argv) {
  std::string trace, shot;
  long long select = -1;
  int w = 1600, h = 1000;
  int i = 1;
  if (i < argc && std::strcmp(argv[i], "gui") == 0) ++i;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "ckrr gui: %s needs a value\n", a.c_str());
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--screenshot") {
      const char* v = value();
      if (!v) return 2;
      shot = v;
    } else if (a == "--select") {
      const char* v = value();
      if (!v) return 2;
      char* end = nullptr;
      select = std::strtoll(v, &end, 10);
      if (*end || select < 1) {
        std::fprintf(stderr, "ckrr gui: --select wants an event number, not %s\n", v);
        return 2;
      }
    } else if (a == "--size") {
      const char* v = value();
      if (!v || std::sscanf(v, "%dx%d", &w, &h) != 2 || w < 200 || h < 150) {
        std::fprintf(stderr, "ckrr gui: --size wants WxH, e.g. 1600x1000\n");
        return 2;
      }
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else if (!a.empty() && a[0] != '-' && trace.empty()) {
      trace = a;
    } else {
      std::fprintf(stderr, "ckrr gui: unknown argument %s\n", a.c_str());
      usage();
      return 2;
    }
  }
  if (trace.empty()) {
    usage();
    return 2;
  }
  // A screenshot needs no display: render offscreen unless told otherwise.
  if (!shot.empty() && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
    qputenv("QT_QPA_PLATFORM", "offscreen");

  std::unique_ptr<QApplication> owned;
  if (!QApplication::instance()) {
    static int qargc = 1;
    static char name[] = "ckrr";
    static char* qargv[] = {name, nullptr};
    owned = std::make_unique<QApplication>(qargc, qargv);
  }
  QApplication::setApplicationName("ckrr");

  MainWindow win;
  try {
    win.openTrace(trace);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ckrr gui: %s\n", e.what());
    if (shot.empty() && qEnvironmentVariable("QT_QPA_PLATFORM") != "offscreen")
      QMessageBox::critical(nullptr, "ckrr gui", QString::fromUtf8(e.what()));
    return 1;
  }
  if (select > 0) {
    if (!win.timelineModel().indexOfSeq(static_cast<uint64_t>(select))) {
      std::fprintf(stderr, "ckrr gui: the trace has no event %lld\n", select);
      if (!shot.empty()) return 1;
    } else {
      win.timeline()->selectSeq(static_cast<uint64_t>(select));
    }
  }
  if (!shot.empty()) {
    win.resize(w, h);
    win.show();
    QApplication::processEvents();
    if (select > 0) win.timeline()->selectSeq(static_cast<uint64_t>(select));  // after layout
    QApplication::processEvents();
    const QImage img = win.grab().toImage();
    if (!img.save(QString::fromStdString(shot), "PNG")) {
      std::fprintf(stderr, "ckrr gui: cannot write %s\n", shot.c_str());
      return 1;
    }
    std::printf("%s: %dx%d\n", shot.c_str(), img.width(), img.height());
    return 0;
  }
  win.show();
  return QApplication::exec();
}

}  // namespace ckrr::gui
