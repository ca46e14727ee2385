// Checkpoint a real traced program at its marker, let the original finish, restore the
// checkpoint into a fresh process and let that finish: the remaining output, exit status and
// the state right after the restore must be the same.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "checkpoint/CheckpointRestorer.h"
#include "checkpoint/CheckpointWriter.h"
#include "checkpoint_test_util.h"
#include "core/Error.h"
#include "core/MemoryMap.h"
#include "storage_test_util.h"

namespace ckrr {
namespace {

std::string program(const char* name) {
  return std::string(CKRR_TEST_PROGRAMS_DIR) + "/" + name;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

int open_out(const std::filesystem::path& p) {
  return ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

// Same registers and the same contents in every saved mapping.
void expect_same_state(Task& a, Task& b, const CheckpointManifest& m) {
  Registers ra = a.regs(), rb = b.regs();
  EXPECT_EQ(ra.rip, rb.rip);
  EXPECT_EQ(ra.rsp, rb.rsp);
  EXPECT_EQ(ra.rax, rb.rax);
  EXPECT_EQ(ra.fs_base, rb.fs_base);
  EXPECT_EQ(memcmp(&ra, &rb, sizeof ra), 0);
  std::vector<uint8_t> pa(kPageSize), pb(kPageSize);
  for (const SavedRegion& r : m.regions) {
    if (r.kind != SavedRegion::Kind::Memory) continue;
    for (uint64_t addr = r.start; addr < r.end; addr += kPageSize) {
      bool oka = a.try_read(addr, pa.data(), kPageSize),
           okb = b.try_read(addr, pb.data(), kPageSize);
      ASSERT_EQ(oka, okb) << std::hex << addr;
      if (oka) {
        ASSERT_EQ(memcmp(pa.data(), pb.data(), kPageSize), 0) << std::hex << addr << " " << r.path;
      }
    }
  }
  // The restored map covers the same address ranges (mappings may be split differently).
  auto cover = [](pid_t pid) {
    std::vector<std::pair<uint64_t, uint64_t>> v;
    for (const Mapping& mp : read_memory_map(pid)) {
      if (!v.empty() && v.back().second == mp.start)
        v.back().second = mp.end;
      else
        v.emplace_back(mp.start, mp.end);
    }
    return v;
  };
  EXPECT_EQ(cover(a.tgid()), cover(b.tgid()));
}

void checkpoint_and_restore(const char* prog_name) {
  test::TempDir d;
  std::filesystem::path mapped = d / "mapped";
  test::write_file(mapped, std::string(4096, 'a') + std::string(4096, 'b'));
  std::filesystem::path out_a = d / "out-a", out_b = d / "out-b";
  int fa = open_out(out_a), fb = open_out(out_b);
  ASSERT_GE(fa, 0);

  auto orig = test::launch_program(program(prog_name), {mapped.string()}, fa);
  ASSERT_TRUE(test::run_to_marker(*orig));
  size_t before = slurp(out_a).size();
  EXPECT_EQ(slurp(out_a), "before checkpoint\n");

  CheckpointWriter w(d / "checkpoints");
  CheckpointRequest req;
  req.seq = 17;
  req.blobs = {{"process", {1, 2, 3}}, {"time", {}}};
  CheckpointStats st = w.write(*orig, req);
  EXPECT_EQ(st.id, 1u);
  EXPECT_GT(st.rss, 8u << 20);
  EXPECT_GT(st.bytes_added, 0u);
  EXPECT_TRUE(std::filesystem::exists(d / "checkpoints" / "1" / "manifest"));

  RestoreOptions ro;
  ro.filter = test::marker_filter();
  CheckpointRestorer restorer(d / "checkpoints");
  RestoredProcess rp = test::with_stdout(fb, [&] { return restorer.restore(1, ro); });
  ASSERT_TRUE(rp.task);
  EXPECT_EQ(rp.manifest.seq, 17u);
  ASSERT_NE(rp.manifest.blob("process"), nullptr);
  EXPECT_EQ(*rp.manifest.blob("process"), std::vector<uint8_t>({1, 2, 3}));
  expect_same_state(*orig, *rp.task, rp.manifest);

  int code_a = test::run_to_exit(*orig);
  int code_b = test::run_to_exit(*rp.task);
  close(fa);
  close(fb);
  std::string rest_a = slurp(out_a).substr(before), rest_b = slurp(out_b);
  EXPECT_EQ(code_a, 7);
  EXPECT_EQ(code_b, 7);
  EXPECT_NE(rest_a.find("marker 4242\n"), std::string::npos) << rest_a;
  EXPECT_NE(rest_a.find("ymm intact\n"), std::string::npos) << rest_a;
  EXPECT_NE(rest_a.find("tls feedface12345678\n"), std::string::npos) << rest_a;
  EXPECT_NE(rest_a.find("handler 10\n"), std::string::npos) << rest_a;
  EXPECT_EQ(rest_a, rest_b);
}

TEST(CheckpointRestore, DynamicProgram) {
  checkpoint_and_restore("ckpt_target");
}
TEST(CheckpointRestore, StaticProgram) {
  checkpoint_and_restore("ckpt_target_static");
}

TEST(CheckpointRestore, RestoreTwiceFromOneCheckpoint) {
  test::TempDir d;
  std::filesystem::path mapped = d / "mapped";
  test::write_file(mapped, std::string(8192, 'm'));
  int fa = open_out(d / "a");
  auto orig = test::launch_program(program("ckpt_target"), {mapped.string()}, fa);
  ASSERT_TRUE(test::run_to_marker(*orig));
  CheckpointWriter w(d / "checkpoints");
  w.write(*orig, CheckpointRequest{});
  kill(orig->tgid(), SIGKILL);
  orig->wait();
  // The original is gone: its checkpoint alone rebuilds it, as often as asked.
  RestoreOptions ro;
  ro.filter = test::marker_filter();
  CheckpointRestorer restorer(d / "checkpoints");
  std::string outs[2];
  for (int i = 0; i < 2; ++i) {
    std::filesystem::path p = d / ("r" + std::to_string(i));
    int fd = open_out(p);
    RestoredProcess rp = test::with_stdout(fd, [&] { return restorer.restore(1, ro); });
    EXPECT_EQ(test::run_to_exit(*rp.task), 7);
    close(fd);
    outs[i] = slurp(p);
  }
  EXPECT_NE(outs[0].find("ymm intact"), std::string::npos) << outs[0];
  EXPECT_EQ(outs[0], outs[1]);
  close(fa);
}

TEST(CheckpointWriter, UnchangedAndTenPercentDirtyCheckpointsAddLittle) {
  test::TempDir d;
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  auto t = test::launch_program(program("ckpt_dirty"), {"100", "3", "10"}, devnull);
  ASSERT_TRUE(test::run_to_marker(*t));
  CheckpointWriter w(d / "checkpoints");
  CheckpointStats first = w.write(*t, CheckpointRequest{});
  EXPECT_GT(first.bytes_added, 100u << 20);
  CheckpointStats same = w.write(*t, CheckpointRequest{});  // nothing ran in between
  EXPECT_LT(same.bytes_added, 100u << 10) << "an unchanged 100 MB process";
  ASSERT_TRUE(test::run_to_marker(*t));
  CheckpointStats dirty = w.write(*t, CheckpointRequest{});  // 10% of its pages dirtied
  EXPECT_GT(dirty.bytes_added, 9u << 20);
  EXPECT_LT(dirty.bytes_added, 12u << 20);
  EXPECT_EQ(list_checkpoints(d / "checkpoints"), std::vector<uint32_t>({1, 2, 3}));
  // The dedup'd checkpoint restores to the same memory.
  RestoreOptions ro;
  ro.filter = test::marker_filter();
  RestoredProcess rp = CheckpointRestorer(d / "checkpoints").restore(3, ro);
  expect_same_state(*t, *rp.task, rp.manifest);
  EXPECT_EQ(test::run_to_exit(*rp.task), 0);
  EXPECT_EQ(test::run_to_exit(*t), 0);
  close(devnull);
}

TEST(CheckpointManifest, CorruptOrMissingManifestIsNamed) {
  test::TempDir d;
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  auto t = test::launch_program(program("ckpt_dirty"), {"1", "1", "10"}, devnull);
  ASSERT_TRUE(test::run_to_marker(*t));
  CheckpointWriter w(d / "checkpoints");
  w.write(*t, CheckpointRequest{});
  w.write(*t, CheckpointRequest{});
  EXPECT_EQ(test::run_to_exit(*t), 0);
  close(devnull);

  std::filesystem::path m1 = d / "checkpoints" / "1" / "manifest";
  CheckpointManifest ok = CheckpointManifest::load(m1.parent_path());
  EXPECT_EQ(CheckpointManifest::parse(ok.serialize(), "x").serialize(), ok.serialize());
  {
    std::fstream f(m1, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  }
  auto expect_named = [](const std::function<void()>& fn, const std::string& file) {
    try {
      fn();
      ADD_FAILURE() << "no error";
    } catch (const TraceError& e) {
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    }
  };
  expect_named([&] { CheckpointManifest::load(m1.parent_path()); }, m1.string());
  std::filesystem::remove(d / "checkpoints" / "2" / "manifest");
  RestoreOptions ro;
  ro.filter = test::marker_filter();
  expect_named([&] { CheckpointRestorer(d / "checkpoints").restore(2, ro); },
               (d / "checkpoints" / "2" / "manifest").string());
  // Truncated.
  std::vector<uint8_t> bytes = ok.serialize();
  bytes.resize(bytes.size() - 5);
  expect_named([&] { CheckpointManifest::parse(bytes, "the-file"); }, "the-file");
}

TEST(CheckpointWriter, KilledWriterLeavesNoHalfCheckpoint) {
  test::TempDir d;
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  auto t = test::launch_program(program("ckpt_dirty"), {"20", "1", "10"}, devnull);
  ASSERT_TRUE(test::run_to_marker(*t));
  std::filesystem::path dir = d / "checkpoints";
  int published = 0, killed = 0;
  for (int i = 0; i < 12; ++i) {
    // The capture holds the traced task, so it happens here; a forked child publishes it and
    // is killed at a varying moment.
    auto w = std::make_unique<CheckpointWriter>(dir);
    // Dirty some state so every round writes new pages.
    std::vector<uint8_t> blob(1000, static_cast<uint8_t>(i));
    CheckpointRequest req;
    req.seq = static_cast<uint64_t>(i);
    req.blobs = {{"p", blob}};
    w->capture(*t, req);
    pid_t child = fork();
    if (child == 0) {
      w->publish();
      _exit(0);
    }
    usleep(static_cast<useconds_t>(i * i * 300));  // 0 .. 36 ms
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    (WIFEXITED(status) ? published : killed)++;
    // The parent's copy must not touch the files the child may have published.
    // Deliberately never destroyed (its destructor would abandon, i.e. delete, the pack the
    // child may have published); kept reachable so LeakSanitizer does not call it a leak.
    static auto* kept = new std::vector<CheckpointWriter*>;  // never destroyed either
    kept->push_back(w.release());
    for (uint32_t id : list_checkpoints(dir)) {
      CheckpointManifest m = CheckpointManifest::load(dir / std::to_string(id));  // never partial
      EXPECT_EQ(m.id, id);
    }
  }
  // A new writer cleans up what killed ones left and continues numbering.
  CheckpointWriter w(dir);
  for (const auto& e : std::filesystem::directory_iterator(dir))
    EXPECT_NE(e.path().filename().string().rfind("tmp-", 0), 0u) << e.path();
  CheckpointStats st = w.write(*t, CheckpointRequest{});
  std::vector<uint32_t> ids = list_checkpoints(dir);
  EXPECT_EQ(ids.back(), st.id);
  RestoreOptions ro;
  ro.filter = test::marker_filter();
  for (uint32_t id : ids) {
    RestoredProcess rp = CheckpointRestorer(dir).restore(id, ro);
    EXPECT_EQ(test::run_to_exit(*rp.task), 0) << "checkpoint " << id;
  }
  EXPECT_EQ(test::run_to_exit(*t), 0);
  close(devnull);
  std::cout << published << " published, " << killed << " killed mid-way\n";
}

}  // namespace
}  // namespace ckrr
