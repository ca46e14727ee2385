#include "recorder/PipeRestorer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/Error.h"

namespace ckrr {

PipeRestorer::~PipeRestorer() {
  for (auto& [ino, p] : pipes_)
    for (int& fd : p.fds)
      if (fd >= 0) close(fd);
}

void PipeRestorer::add(const std::vector<SavedFd>& fds, const TreeLinks& links,
                       const std::set<int>& std_fds) {
  for (const SavedFd& f : fds)
    if (uint64_t ino = pipe_inode_of(f.path); ino && !std_fds.count(f.fd)) pipes_.try_emplace(ino);
  for (const PipeInFlight& in : links.pipes) {
    auto it = pipes_.find(in.inode);
    if (it == pipes_.end()) continue;
    // Every process holding an end saved the same bytes: keep one copy.
    it->second.capacity = std::max(it->second.capacity, in.capacity);
    if (it->second.bytes.empty()) it->second.bytes = in.bytes;
  }
}

size_t PipeRestorer::bytes_in_flight() const {
  size_t n = 0;
  for (const auto& [ino, p] : pipes_) n += p.bytes.size();
  return n;
}

std::map<std::string, std::string> PipeRestorer::create() {
  std::map<std::string, std::string> subs;
  for (auto& [ino, p] : pipes_) {
    if (pipe2(p.fds, O_CLOEXEC) != 0) throw Error(errno_text("restart: pipe2", errno));
    // As big as it was (a writer blocks where it blocked before), and room for the saved bytes.
    uint32_t want = std::max<uint32_t>(p.capacity, static_cast<uint32_t>(p.bytes.size()));
    if (want) fcntl(p.fds[1], F_SETPIPE_SZ, want);
    subs["pipe:[" + std::to_string(ino) + "]"] =
        "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(p.fds[0]);
  }
  return subs;
}

std::vector<std::string> PipeRestorer::finish() {
  std::vector<std::string> warnings;
  for (auto& [ino, p] : pipes_) {
    if (p.fds[1] >= 0 && !p.bytes.empty()) {
      fcntl(p.fds[1], F_SETFL, O_NONBLOCK);
      size_t done = 0;
      while (done < p.bytes.size()) {
        ssize_t n = write(p.fds[1], p.bytes.data() + done, p.bytes.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      if (done < p.bytes.size())
        warnings.push_back("pipe:[" + std::to_string(ino) + "]: only " + std::to_string(done) +
                           " of its " + std::to_string(p.bytes.size()) +
                           " saved bytes could be put back");
    }
    for (int& fd : p.fds)
      if (fd >= 0) {
        close(fd);
        fd = -1;
      }
  }
  return warnings;
}

}  // namespace ckrr
