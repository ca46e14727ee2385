#include "recorder/CheckpointPublishing.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "checkpoint/ProcessSnapshot.h"

namespace ckrr {

CheckpointPublishing::CheckpointPublishing(CheckpointWriter& w, TimelineIndex& index, double share)
    : w_(w), index_(index), share_(share) {
  const pid_t supervisor = static_cast<pid_t>(syscall(SYS_gettid));
  publisher_ = std::make_unique<BackgroundPublisher>(w_, [supervisor] {
    syscall(SYS_tgkill, getpid(), supervisor, SIGALRM);  // out of its waitpid: a stray tick
  });
}

void CheckpointPublishing::start(uint64_t seq, uint64_t time_ns) {
  publisher_->start(seq, time_ns);
}

uint64_t CheckpointPublishing::collect(bool wait, uint64_t now_ns) {
  for (const BackgroundPublisher::Outcome& o : publisher_->collect(wait)) {
    if (!o.error.empty())
      std::cerr << "ckrr: checkpoint after event " << o.seq << " failed: " << o.error << "\n";
    double cost_ms = 0;
    for (const CheckpointStats& st : o.stats) {
      CheckpointRow row;
      row.id = st.id;
      row.seq = o.seq;
      row.time_ns = o.time_ns;
      row.rss = st.rss;
      row.bytes_added = st.bytes_added;
      row.path = st.path;
      index_.add_checkpoint(row);
      index_.set_meta("checkpoint." + std::to_string(st.id), st.timing_text());
      pause_ms_ += st.pause_ms;
      publish_ms_ += st.publish_ms;
      cost_ms += st.pause_ms + st.publish_ms;
    }
    // The next periodic one waits until this one's cost (the app held, and the publish
    // competing with it for the CPUs and the disk) is at most the share of the time since.
    if (share_ > 0) {
      const uint64_t earliest = now_ns + static_cast<uint64_t>(cost_ms * 1e6 * (1 / share_ - 1));
      if (earliest > not_before_ns_) {
        not_before_ns_ = earliest;
        ++spaced_;
      }
    }
  }
  return not_before_ns_;
}

bool CheckpointPublishing::must_wait(const std::vector<pid_t>& tgids, uint64_t now_ns) {
  collect(false, now_ns);
  bool wait = false;
  if (publisher_->busy()) {
    wait = !publisher_->can_queue();
    for (pid_t tgid : tgids) wait = wait || !ProcessSnapshot::possible(tgid);
  }
  if (!wait) {
    delay_counted_ = false;
  } else if (!delay_counted_) {
    ++delayed_;
    delay_counted_ = true;
  }
  return wait;
}

void CheckpointPublishing::finish(uint64_t now_ns) {
  if (publisher_->busy()) index_.set_meta("checkpoints_waited_at_end", "1");
  collect(true, now_ns);
  index_.set_meta("delayed_checkpoints", std::to_string(delayed_));
  index_.set_meta("spaced_checkpoints", std::to_string(spaced_));
  index_.set_meta("checkpoint_pause_ms", std::to_string(pause_ms_));
  index_.set_meta("checkpoint_publish_ms", std::to_string(publish_ms_));
}

}  // namespace ckrr
