#pragma once
// Publishes a CheckpointWriter's captured batches on a thread of its own, so the recorder's
// supervisor keeps serving the app (its threads and processes) while snapshots are read,
// hashed, written and fsynced: the app is held only for the capture.
//
// One batch publishes at a time and others wait their turn, as long as the memory of the
// waiting ones' processes stays under 256 MiB (each snapshot holds copy-on-write memory) and
// there are fewer than 16 (so a small program checkpointed every few ms keeps its
// checkpoints, a big one has one publishing and one waiting); a checkpoint that comes due
// beyond that, or one that would have to read memory while the app waits (a process that is
// not ckrr's child) while a batch publishes, waits for a later boundary. The thread touches only
// the writer (its page store is the thread's while busy()), the snapshots' memory (/proc/PID/mem,
// maps, pagemap) and the checkpoints directory; the trace's index and log stay the supervisor's,
// which adds the index rows from collect(). The thread blocks every signal but faults: the
// recorder's signals stay its supervisor's.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/CheckpointWriter.h"

namespace ckrr {

class BackgroundPublisher {
 public:
  // on_done runs on the publishing thread after each batch (the recorder signals its
  // supervisor out of its waitpid with it, so the index rows come at once, not at the app's
  // next stop).
  BackgroundPublisher(CheckpointWriter& w, std::function<void()> on_done)
      : w_(w), on_done_(std::move(on_done)) {}
  ~BackgroundPublisher();  // publishes what is queued and waits for it (whole or absent)
  BackgroundPublisher(const BackgroundPublisher&) = delete;
  BackgroundPublisher& operator=(const BackgroundPublisher&) = delete;

  struct Outcome {
    uint64_t seq = 0, time_ns = 0;  // as given to start()
    std::vector<CheckpointStats> stats;
    std::string error;  // empty when every checkpoint of the batch was published
  };

  // Queues the writer's captured batch, taken after event seq at recording time time_ns (both
  // handed back with the outcome).
  void start(uint64_t seq, uint64_t time_ns);
  // A batch is publishing or queued (the writer's page store is the thread's).
  bool busy();
  // Another batch may be queued now.
  bool can_queue();
  // The outcomes of the batches published since the last call (wait: after waiting for all),
  // their snapshots released (killed and reaped: on the thread that waits for the app's
  // processes).
  std::vector<Outcome> collect(bool wait);

 private:
  struct Job {
    std::vector<CheckpointWriter::Captured> batch;
    Outcome out;
    uint64_t resident = 0;
    bool waiting = false;  // counted in waiting_resident_
  };
  void run();

  CheckpointWriter& w_;
  std::function<void()> on_done_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;          // [0] is publishing
  uint64_t waiting_resident_ = 0;  // of the jobs after [0]
  bool stop_ = false;
  std::vector<Outcome> done_;
};

}  // namespace ckrr
