#pragma once
// Takes checkpoints of a stopped traced process into checkpoints/<id>/ of a trace.
//
// The task must be stopped "after event N": at a seccomp stop whose syscall was emulated
// (orig_rax = -1, rax = result) or at a syscall-exit stop, with ckrr's scratch page mapped
// (ScratchPage.h). The writer injects a few syscalls (brk(0), rt_sigaction, sigprocmask,
// sigaltstack, get_robust_list) and leaves the registers as it found them.
//
// Two phases, so the caller can resume the app before the slow part:
//   capture(task, req)  the task is held: reads registers, xstate, kernel state and /proc
//                       files, and forks a copy-on-write snapshot of the process
//                       (ProcessSnapshot) — the app waits only for the fork;
//   publish_batch()     the task may run (on another thread: BackgroundPublisher): reads and
//                       hashes the snapshot's memory, appends new pages to a pack, syncs it,
//                       writes the manifest to checkpoints/tmp-<id>/, fsyncs, renames to
//                       checkpoints/<id>/.
// When no snapshot can be made, capture() reads the memory itself (the app waits longer).
// A checkpoint is never half-visible: a crash before the rename leaves only a tmp-* directory
// and an unindexed pack, both removed by the next writer.
//
// One process: the capturing thread first, then the caller's other_threads.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/CheckpointManifest.h"
#include "checkpoint/DirtyTracker.h"
#include "checkpoint/ProcessSnapshot.h"
#include "core/Task.h"
#include "storage/PageStore.h"

namespace ckrr {

struct CheckpointRequest {
  uint64_t seq = 0;  // the last event applied
  // Caller-owned state: ("process", ProcessState::serialize) and (plugin name, save_state).
  std::vector<std::pair<std::string, std::vector<uint8_t>>> blobs;
  // The process's other threads, stopped, their state read by the caller (which knows where
  // each one is: stopped after an event, or rewound to a syscall it waits in).
  std::vector<SavedThread> other_threads;
  uint64_t clear_child_tid = 0;  // of the capturing thread
};

struct CheckpointStats {
  uint32_t id = 0;
  std::string path;     // "checkpoints/<id>", relative to the trace directory
  double pause_ms = 0;  // capture(): the task was held this long, of which
  double state_ms = 0, scan_ms = 0, fork_ms = 0;  // kernel state, dirty scan, snapshot
  double publish_ms = 0;       // publish(): sync + manifest (the task may run meanwhile)
  uint64_t bytes_added = 0;    // new page bytes + manifest
  uint64_t rss = 0;            // non-zero memory saved, bytes
  uint64_t pages_saved = 0;    // non-zero pages in the checkpoint
  uint64_t pages_new = 0;      // of which not already in the store
  uint64_t pages_read = 0;     // read and hashed (the others: unchanged, known from dirty tracking)
  uint64_t pages_written = 0;  // written since the checkpoint before, as dirty tracking found
  // Where the time of reading the memory and publishing went (ms): reading the process (or
  // its snapshot), hashing and looking pages up, writing new pages to the pack, and making it
  // durable (fsync of the pack, the index and the manifest, rename).
  double read_ms = 0, hash_ms = 0, write_ms = 0, sync_ms = 0;
  // "pause_ms=.. publish_ms=.. read_ms=.. hash_ms=.. write_ms=.. sync_ms=.." (index meta
  // checkpoint.<id>, read by bench/run_checkpoint_stall.py).
  std::string timing_text() const;
};

class CheckpointWriter {
 public:
  // checkpoints_dir: TraceDirectory::checkpoints_dir(). Creates it (0700) and the page store;
  // removes leftovers of a crashed writer (tmp-* directories).
  explicit CheckpointWriter(const std::filesystem::path& checkpoints_dir);
  ~CheckpointWriter();

  // What an incremental checkpoint reuses of the one before it of the same process: its
  // regions (pages by address), valid once that one is published (`ok`).
  struct Base {
    bool ok = false;
    std::map<uint64_t, SavedRegion> regions;  // by start
  };
  // A captured checkpoint not yet published: its manifest, and its memory still to read when
  // it has a snapshot.
  struct Captured {
    CheckpointManifest m;
    std::unique_ptr<ProcessSnapshot> snapshot;
    // With a snapshot: the contents of shared writable mappings (which the snapshot shares
    // with the running app), read at capture, by start address.
    std::map<uint64_t, std::vector<uint8_t>> shared_now;
    CheckpointStats stats;
    // Dirty tracking: what was written since `base` was captured (pages of tracked mappings
    // not written are taken from base, when it was published); `self` is what the next
    // checkpoint of the process reuses.
    DirtyScan dirty;
    std::shared_ptr<Base> base, self;
    // Its scan deferred protecting new mappings until the app resumed: done first thing by the
    // publish, while the snapshot is alive (DirtyTracker::protect_deferred).
    std::shared_ptr<DirtyTracker> protect_later;
    uint64_t resident = 0;  // the process's resident memory at capture (/proc/PID/statm)
  };

  // Captures one checkpoint (id next_id()) into the batch to publish. Several captures before
  // one publish make a group: their pages go to one pack, made durable once. While
  // set_store_busy(true) (another thread publishes), a process that cannot be snapshotted
  // (ProcessSnapshot::possible) is refused with an Error instead of being read now.
  void capture(Task& t, const CheckpointRequest& req);
  // The captured batch, handed over to be published (possibly on another thread).
  std::vector<Captured> take_batch();
  // Publishes a batch, in capture order, and returns the stats of each. May run on another
  // thread than capture() (BackgroundPublisher), as long as only one thread publishes and
  // none captures what must be read at once meanwhile (set_store_busy); it neither waits for
  // nor kills processes: the snapshots it read are kept for release_snapshots(). On failure
  // nothing of the batch is left but the checkpoints already renamed into place (a group
  // missing a member is not used by replay).
  std::vector<CheckpointStats> publish_batch(std::vector<Captured> batch);
  // Kills and reaps the snapshots of published or abandoned checkpoints. On the thread that
  // waits for the app's processes (the copies are its children too).
  void release_snapshots();
  void set_store_busy(bool busy) { store_busy_ = busy; }
  // publish_batch(take_batch()) of a single capture, then release_snapshots().
  CheckpointStats publish();
  // Drops the captured, unpublished checkpoints (and their snapshots).
  void abandon();
  // capture + publish.
  CheckpointStats write(Task& t, const CheckpointRequest& req) {
    capture(t, req);
    return publish();
  }

  PageStore& pages() { return *pages_; }
  uint32_t next_id() const { return next_id_; }
  size_t captured() const { return batch_.size(); }

 private:
  using Pending = Captured;
  void capture_memory(Task& t, Pending& p);
  // Reads the memory of t into p's manifest and the page store, with the stats.
  void store_memory(Task& t, Pending& p);
  void capture_region(Task& t, int pagemap_fd, SavedRegion& r, bool anon, Pending& p);

  std::filesystem::path dir_;
  std::unique_ptr<PageStore> pages_;
  uint32_t next_id_ = 1;
  std::vector<Pending> batch_;
  bool store_busy_ = false;
  // Dirty tracking per process (CKRR_NO_DIRTY_TRACKING=1 turns it off: every page is read).
  struct Tracking {
    std::shared_ptr<DirtyTracker> tracker;
    std::shared_ptr<Base> last;  // the last capture of the process
  };
  bool track_dirty_ = true;
  std::map<pid_t, Tracking> tracking_;
  std::mutex used_mutex_;  // the publishing thread adds, the supervisor releases
  std::vector<std::unique_ptr<ProcessSnapshot>> used_snapshots_;
  std::vector<uint8_t> buf_;
};

}  // namespace ckrr
