#pragma once
// Thread names as the program set them, at a point of the recording. pthread_setname_np on
// another thread writes /proc/self/task/TID/comm, which replay emulates (the replayed thread's
// real comm never changes), so the names come from the recorded opens and writes of such files.
// A name set with prctl(PR_SET_NAME) is made again in replay and shows in the real comm, which
// the caller reads for the threads not named here.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "storage/EventLogReader.h"

namespace ckrr {

class ThreadNames {
 public:
  explicit ThreadNames(std::filesystem::path events_log) : log_(std::move(events_log)) {}
  // Names written up to and including event `seq`, by recorded tid.
  const std::map<pid_t, std::string>& at(uint64_t seq);

 private:
  void take(const Event& e);

  std::filesystem::path log_;
  std::unique_ptr<EventLogReader> reader_;
  uint64_t through_ = 0;  // events read so far
  std::optional<Event> ahead_;
  std::map<pid_t, std::string> names_;
  std::map<std::pair<pid_t, int>, pid_t> open_;  // (opener tid, fd) -> the thread it names
};

}  // namespace ckrr
