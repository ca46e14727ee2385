#include "gui/tools/SynthIndex.h"

#include <sqlite3.h>

#include <array>
#include <fstream>
#include <random>
#include <string>

#include "core/Error.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr::gui {

namespace {

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "error";
    sqlite3_free(err);
    throw Error("synth index: " + msg);
  }
}

struct Call {
  const char* name;
  int weight;
  int64_t err;  // errno returned now and then (0: never fails)
  int err_percent;
};

// Roughly the mix of a busy multi-threaded program.
constexpr std::array<Call, 14> kCalls = {{
    {"read", 20, -11, 5},
    {"write", 18, 0, 0},
    {"openat", 8, -2, 30},
    {"close", 8, 0, 0},
    {"fstat", 5, 0, 0},
    {"futex", 14, -110, 10},
    {"clock_gettime", 10, 0, 0},
    {"mmap", 4, 0, 0},
    {"mprotect", 2, 0, 0},
    {"brk", 1, 0, 0},
    {"poll", 5, 0, 0},
    {"getrandom", 2, 0, 0},
    {"rt_sigaction", 1, 0, 0},
    {"nanosleep", 2, 0, 0},
}};

}  // namespace

void writeSynthTrace(const std::filesystem::path& dir, const SynthParams& p) {
  // The trace layout and the index schema come from storage, so they cannot drift; the rows
  // are then bulk-inserted with plain SQL for speed (millions of them).
  const auto dbp = TraceDirectory::create(dir, true).index_db();
  TimelineIndex::create(dbp).reset();

  sqlite3* db = nullptr;
  if (sqlite3_open(dbp.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw Error(dbp.string() + ": cannot create");
  }
  struct Closer {
    sqlite3* db;
    ~Closer() { sqlite3_close(db); }
  } closer{db};
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;");
  exec(db, "BEGIN");

  const int nthreads = std::max(p.threads, 1);
  const int per_proc = std::max(p.threads_per_process, 1);
  auto tid_of = [&](int t) { return 1000 + t; };
  auto pid_of = [&](int t) { return tid_of(t - t % per_proc); };

  std::mt19937_64 rng(p.seed);
  int total_weight = 0;
  for (const auto& c : kCalls) total_weight += c.weight;

  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO events VALUES(?,?,?,?,?,?,?,?)", -1, &ins, nullptr);
  std::vector<uint64_t> first(nthreads, 0), last(nthreads, 0);
  uint64_t time = 0;
  int cur = 0;
  uint64_t burst_left = 0;
  for (uint64_t seq = 1; seq <= p.events; ++seq) {
    // Threads run in bursts, as under the one-thread-at-a-time scheduler.
    if (burst_left == 0) {
      cur = static_cast<int>(rng() % nthreads);
      burst_left = 1 + rng() % 40;
    }
    --burst_left;
    int t = cur;
    // Each thread starts with its creation; each process's first thread with an exec.
    for (int u = 0; u < nthreads; ++u)
      if (first[u] == 0 && (u == 0 || seq > static_cast<uint64_t>(u) * 3)) {
        t = u;
        break;
      }
    time += 200 + rng() % 3000 + ((rng() % 100) == 0 ? 200000 : 0);
    int kind = 1;
    std::string name;
    int64_t result = 0;
    const uint64_t r = rng() % 1000;
    if (first[t] == 0) {
      if (t % per_proc == 0) {
        kind = 4;
        name = "execve";
      } else {
        name = "clone";
        result = tid_of(t);
      }
    } else if (seq == p.events) {
      kind = 5;
      name = "exit";
    } else if (r < 3) {
      kind = 2;
      name = r == 0 ? "SIGSEGV" : "SIGCHLD";
    } else if (r < 20) {
      kind = 3;
      name = "rdtsc";
      result = static_cast<int64_t>(time * 3);
    } else if (r < 30) {
      kind = 6;
      name = "preempt";
    } else {
      int w = static_cast<int>(rng() % total_weight);
      const Call* c = &kCalls[0];
      for (const auto& k : kCalls) {
        if (w < k.weight) {
          c = &k;
          break;
        }
        w -= k.weight;
      }
      name = c->name;
      if (c->err != 0 && static_cast<int>(rng() % 100) < c->err_percent)
        result = c->err;
      else
        result = static_cast<int64_t>(rng() % 4096);
    }
    if (first[t] == 0) first[t] = seq;
    last[t] = seq;
    sqlite3_bind_int64(ins, 1, static_cast<int64_t>(seq));
    sqlite3_bind_int64(ins, 2, tid_of(t));
    sqlite3_bind_int64(ins, 3, kind);
    sqlite3_bind_text(ins, 4, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 5, result);
    sqlite3_bind_int64(ins, 6, static_cast<int64_t>(time));
    sqlite3_bind_int64(ins, 7, static_cast<int64_t>(8 + (seq / 1000) * 4096));  // fake chunks
    sqlite3_bind_int64(ins, 8, static_cast<int64_t>(seq % 1000));
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);

  for (int t = 0; t < nthreads; ++t) {
    if (first[t] == 0) continue;  // fewer events than threads
    exec(db, "INSERT INTO threads VALUES(" + std::to_string(tid_of(t)) + "," +
                 std::to_string(pid_of(t)) + ",'" +
                 (t % per_proc == 0 ? std::string("synth") : "worker-" + std::to_string(t)) + "'," +
                 std::to_string(first[t]) + "," + std::to_string(last[t]) + ")");
  }
  for (int c = 0; c < p.checkpoints && p.events > 0; ++c) {
    const uint64_t seq = 1 + p.events * static_cast<uint64_t>(c) / std::max(p.checkpoints, 1);
    exec(db,
         "INSERT INTO checkpoints(seq, time_ns, rss, bytes_added, path) SELECT seq, time_ns, "
         "4194304, 65536, 'checkpoints/" +
             std::to_string(c) + "' FROM events WHERE seq=" + std::to_string(seq));
  }
  for (int b = 0; b < p.bookmarks && p.events > 0; ++b) {
    const uint64_t seq = p.events * static_cast<uint64_t>(2 * b + 1) / (2 * p.bookmarks) + 1;
    exec(db, "INSERT INTO bookmarks(seq, note) VALUES(" + std::to_string(seq) +
                 ", 'synthetic bookmark " + std::to_string(b + 1) + "')");
  }
  exec(db,
       "INSERT OR REPLACE INTO meta VALUES('command', 'synth'), ('synthetic', '1'), "
       "('complete', '1')");
  exec(db, "COMMIT");
}

}  // namespace ckrr::gui
