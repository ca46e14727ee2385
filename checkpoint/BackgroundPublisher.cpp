#include "checkpoint/BackgroundPublisher.h"

#include <signal.h>

#include "core/Error.h"
#include "core/OwnTscTrap.h"

namespace ckrr {

BackgroundPublisher::~BackgroundPublisher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  w_.release_snapshots();
}

void BackgroundPublisher::start(uint64_t seq, uint64_t time_ns) {
  Job job;
  job.out.seq = seq;
  job.out.time_ns = time_ns;
  job.batch = w_.take_batch();
  if (job.batch.empty()) return;
  for (const CheckpointWriter::Captured& c : job.batch) job.resident += c.resident;
  if (!thread_.joinable()) {
    sigset_t all, old;
    sigfillset(&all);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) sigdelset(&all, sig);  // faults
    pthread_sigmask(SIG_SETMASK, &all, &old);  // inherited by the new thread
    try {
      thread_ = std::thread([this] { run(); });
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job.waiting = !queue_.empty();
    if (job.waiting) waiting_resident_ += job.resident;
    queue_.push_back(std::move(job));
  }
  w_.set_store_busy(true);
  cv_.notify_all();
}

void BackgroundPublisher::run() {
  // The supervisor may trap its own rdtsc (OwnTscTrap), which this thread inherits: its clock
  // reads would all fault. It has no use for that.
  untrap_own_tsc();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_, nothing left
    std::vector<CheckpointWriter::Captured> batch = std::move(queue_.front().batch);
    Outcome out = queue_.front().out;
    lock.unlock();
    try {
      out.stats = w_.publish_batch(std::move(batch));
    } catch (const std::exception& e) {
      out.error = e.what();
    }
    lock.lock();
    queue_.pop_front();
    if (!queue_.empty() && queue_.front().waiting) {  // its turn now
      waiting_resident_ -= queue_.front().resident;
      queue_.front().waiting = false;
    }
    done_.push_back(std::move(out));
    lock.unlock();
    if (on_done_) on_done_();
    lock.lock();
  }
}

bool BackgroundPublisher::busy() {
  std::lock_guard<std::mutex> lock(mutex_);
  return !queue_.empty();
}

bool BackgroundPublisher::can_queue() {
  constexpr size_t kMaxJobs = 16;
  constexpr uint64_t kMaxWaitingResident = 256ull << 20;
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size() < kMaxJobs && waiting_resident_ < kMaxWaitingResident;
}

std::vector<BackgroundPublisher::Outcome> BackgroundPublisher::collect(bool wait) {
  std::vector<Outcome> out;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (wait) {
      // The thread may wait for nothing but this: a short poll keeps it simple.
      while (!queue_.empty()) {
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        lock.lock();
      }
    }
    out.swap(done_);
  }
  if (!out.empty()) w_.release_snapshots();
  if (!busy()) w_.set_store_busy(false);
  return out;
}

}  // namespace ckrr
