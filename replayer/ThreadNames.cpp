#include "replayer/ThreadNames.h"

#include <sys/syscall.h>

#include <regex>

namespace ckrr {

const std::map<pid_t, std::string>& ThreadNames::at(uint64_t seq) {
  if (!reader_ || seq < through_) {
    // Going back: read again from the start (a thread's name is rarely set more than once,
    // but the name at an earlier point must be the one it had then).
    reader_ = std::make_unique<EventLogReader>(log_);
    through_ = 0;
    ahead_.reset();
    names_.clear();
    open_.clear();
  }
  for (;;) {
    if (!ahead_) {
      Event e;
      if (!reader_->next(e)) break;
      ahead_ = std::move(e);
    }
    if (ahead_->seq > seq) break;
    take(*ahead_);
    through_ = ahead_->seq;
    ahead_.reset();
  }
  return names_;
}

void ThreadNames::take(const Event& e) {
  if (e.kind != EventKind::Syscall || e.result < 0) return;
  if (e.nr == SYS_openat || e.nr == SYS_open) {
    const Blob* path = e.find_blob(blob::kPath);
    if (!path) return;
    static const std::regex comm(
        R"(/proc/(?:self|thread-self|\d+)/task/(\d+)/comm|/proc/(\d+)/comm)");
    std::smatch m;
    std::string p(path->text());
    if (!std::regex_match(p, m, comm)) return;
    pid_t named = std::stoi(m[1].matched ? m[1].str() : m[2].str());
    open_[{e.tid, static_cast<int>(e.result)}] = named;
    return;
  }
  if (e.nr == SYS_write || e.nr == SYS_close) {
    auto it = open_.find({e.tid, static_cast<int>(e.args[0])});
    if (it == open_.end()) return;
    if (e.nr == SYS_close) {
      open_.erase(it);
      return;
    }
    const Blob* data = e.find_blob(blob::kData);
    if (!data) return;
    std::string name(data->data.begin(), data->data.end());
    while (!name.empty() && (name.back() == '\n' || name.back() == '\0')) name.pop_back();
    names_[it->second] = name.substr(0, 15);  // TASK_COMM_LEN - 1, as the kernel keeps it
  }
}

}  // namespace ckrr
