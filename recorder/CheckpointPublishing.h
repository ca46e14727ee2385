#pragma once
// The recorder's side of background checkpoint publishing (issue 12): hands captured batches
// to a BackgroundPublisher, adds the index rows of published ones (on the supervisor's thread:
// the index is never touched by the publishing thread), decides whether a checkpoint due now
// must wait for the publishing ones, and spaces periodic checkpoints so that they cost at most
// a share of the run. Its counters go to the index meta at the end (ckrr info shows them).
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "checkpoint/BackgroundPublisher.h"
#include "checkpoint/CheckpointWriter.h"
#include "storage/TimelineIndex.h"

namespace ckrr {

class CheckpointPublishing {
 public:
  // share: the most a checkpoint may cost of the time until the next periodic one (0: none).
  // The publishing thread wakes the calling (supervisor) thread out of its waitpid with a
  // SIGALRM (a stray tick) when a batch is done.
  CheckpointPublishing(CheckpointWriter& w, TimelineIndex& index, double share);

  // The writer's captured batch, taken after event seq at recording time time_ns.
  void start(uint64_t seq, uint64_t time_ns);
  // Adds the index rows of the batches published since (wait: after waiting for all). A
  // periodic checkpoint due before the returned time (0: none) is put off until then.
  uint64_t collect(bool wait, uint64_t now_ns);
  uint64_t not_before() const { return not_before_ns_; }
  // A checkpoint of these processes due now waits for the ones being published (counted once
  // per wait): too much is waiting already, or one of them is not ckrr's child (its memory is
  // read while it is held, into the page store the publishing thread owns now).
  bool must_wait(const std::vector<pid_t>& tgids, uint64_t now_ns);
  // Waits for everything (the checkpoints being published are whole or absent) and writes the
  // counters to the index meta.
  void finish(uint64_t now_ns);

 private:
  CheckpointWriter& w_;
  TimelineIndex& index_;
  double share_;
  std::unique_ptr<BackgroundPublisher> publisher_;
  uint64_t not_before_ns_ = 0;
  uint64_t delayed_ = 0, spaced_ = 0;
  bool delay_counted_ = false;
  double pause_ms_ = 0, publish_ms_ = 0;
};

}  // namespace ckrr
