// Checkpoint benchmark: pause and bytes added per checkpoint for processes of 100 MB and 1 GB
// that dirty 10% of their memory between checkpoints, and restore latency. Not a test: run it
// by hand (ninja -C build checkpoint_bench && ./build/bench/checkpoint_bench [DIR]).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "checkpoint/CheckpointRestorer.h"
#include "checkpoint/CheckpointWriter.h"
#include "checkpoint_test_util.h"

using namespace ckrr;

namespace {

void bench(const std::filesystem::path& base, int size_mb, int rounds) {
  std::filesystem::path dir = base / ("bench-" + std::to_string(size_mb));
  std::filesystem::remove_all(dir);
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  auto t = test::launch_program(std::string(CKRR_TEST_PROGRAMS_DIR) + "/ckpt_dirty",
                                {std::to_string(size_mb), std::to_string(rounds), "10"}, devnull);
  CheckpointWriter w(dir / "checkpoints");
  const double gb = size_mb / 1024.0;
  printf("\n%d MB process, 10%% dirtied between checkpoints\n", size_mb);
  printf("%4s %10s %10s %12s %12s %14s\n", "ckpt", "pause ms", "ms/GB", "publish ms", "added MB",
         "non-zero MB");
  uint32_t last = 0;
  while (test::run_to_marker(*t)) {
    CheckpointStats s = w.write(*t, CheckpointRequest{});
    printf("%4u %10.1f %10.1f %12.1f %12.1f %14.1f\n", s.id, s.pause_ms, s.pause_ms / gb,
           s.publish_ms, s.bytes_added / 1048576.0, s.rss / 1048576.0);
    last = s.id;
  }
  RestoreOptions ro;
  ro.filter = test::marker_filter();
  CheckpointRestorer r(dir / "checkpoints");
  for (uint32_t id : {1u, last}) {
    for (int rep = 0; rep < 3; ++rep) {
      RestoredProcess p = r.restore(id, ro);
      printf("restore of checkpoint %u: %.1f ms (%.1f ms/GB)%s\n", id, p.restore_ms,
             p.restore_ms / gb, rep ? "" : " (first, cold)");
      kill(p.task->tgid(), SIGKILL);
      p.task->wait();
    }
  }
  close(devnull);
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path base = argc > 1 ? argv[1] : std::filesystem::temp_directory_path();
  bench(base, 100, 5);
  bench(base, 1024, 5);
  return 0;
}
