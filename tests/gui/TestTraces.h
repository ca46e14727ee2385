#pragma once
// Trace directories for the GUI tests.
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>

#include "gui/tools/SynthIndex.h"

namespace ckrr::gui::test {

// A synthetic trace (timeline.db only) in a temporary directory removed at the end.
struct SynthTrace {
  QTemporaryDir tmp;
  std::filesystem::path dir;
  explicit SynthTrace(const SynthParams& p = {}) {
    dir = std::filesystem::path(tmp.path().toStdString()) / "trace";
    writeSynthTrace(dir, p);
  }
  std::filesystem::path db() const { return dir / "timeline.db"; }
};

}  // namespace ckrr::gui::test
