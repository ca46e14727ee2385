#include "recorder/WriteOrder.h"

#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "plugins/WriteCalls.h"

namespace ckrr {

std::optional<WriteOrder::Object> WriteOrder::object_of(pid_t tid, int fd) {
  // stat follows the /proc link to the object itself (a pipe's or socket's inode too).
  struct stat st {};
  std::string link = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  if (stat(link.c_str(), &st) != 0) return std::nullopt;
  return Object{st.st_dev, st.st_ino};
}

void WriteOrder::hold(pid_t tid, long nr, const uint64_t* args) {
  std::optional<int> fd = written_fd(nr, args);
  if (!fd) return;
  if (std::optional<Object> o = object_of(tid, *fd)) holders_[tid] = *o;
}

bool WriteOrder::must_wait(pid_t tid, long nr, const uint64_t* args) {
  if (holders_.empty()) return false;
  std::optional<int> fd = written_fd(nr, args);
  if (!fd) return false;
  std::optional<Object> o = object_of(tid, *fd);
  if (!o) return false;
  for (const auto& [holder, obj] : holders_)
    if (holder != tid && obj == *o) {
      parked_.emplace_back(tid, *o);
      ++waits_;
      return true;
    }
  return false;
}

std::vector<pid_t> WriteOrder::release_finished(const std::function<bool(pid_t)>& done) {
  std::vector<pid_t> out;
  if (holders_.empty() && parked_.empty()) return out;
  std::erase_if(holders_, [&](const auto& kv) { return done(kv.first); });
  // A parked thread goes on once no holder has its object (it may take the object itself then:
  // the first one let go writes first, the others find it busy again only if it waits too).
  auto free = [&](const Object& o) {
    return std::none_of(holders_.begin(), holders_.end(),
                        [&](const auto& kv) { return kv.second == o; });
  };
  std::erase_if(parked_, [&](const auto& p) {
    if (!free(p.second)) return false;
    out.push_back(p.first);
    return true;
  });
  return out;
}

}  // namespace ckrr
