// ckrr-synth-index: writes a synthetic trace directory for GUI tests and benchmarks.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "gui/tools/SynthIndex.h"

int main(int argc, char** argv) {
  ckrr::gui::SynthParams p;
  const char* out = nullptr;
  for (int i = 1; i < argc; ++i) {
    auto num = [&](const char* opt) -> uint64_t {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "ckrr-synth-index: %s needs a value\n", opt);
        std::exit(2);
      }
      return std::strtoull(argv[++i], nullptr, 10);
    };
    if (!std::strcmp(argv[i], "--events"))
      p.events = num("--events");
    else if (!std::strcmp(argv[i], "--threads"))
      p.threads = static_cast<int>(num("--threads"));
    else if (!std::strcmp(argv[i], "--threads-per-process"))
      p.threads_per_process = static_cast<int>(num("--threads-per-process"));
    else if (!std::strcmp(argv[i], "--checkpoints"))
      p.checkpoints = static_cast<int>(num("--checkpoints"));
    else if (!std::strcmp(argv[i], "--bookmarks"))
      p.bookmarks = static_cast<int>(num("--bookmarks"));
    else if (!std::strcmp(argv[i], "--seed"))
      p.seed = num("--seed");
    else if (argv[i][0] != '-' && !out)
      out = argv[i];
    else {
      std::fprintf(stderr, "ckrr-synth-index: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (!out) {
    std::fprintf(stderr,
                 "usage: ckrr-synth-index DIR [--events N] [--threads T] "
                 "[--threads-per-process K] [--checkpoints C] [--bookmarks B] [--seed S]\n");
    return 2;
  }
  try {
    ckrr::gui::writeSynthTrace(out, p);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ckrr-synth-index: %s\n", e.what());
    return 1;
  }
  std::printf("%s: %llu events, %d threads\n", out, static_cast<unsigned long long>(p.events),
              p.threads);
  return 0;
}
