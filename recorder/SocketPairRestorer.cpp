#include "recorder/SocketPairRestorer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/Error.h"

namespace ckrr {

SocketPairRestorer::~SocketPairRestorer() {
  finish();
}

void SocketPairRestorer::add(const std::vector<SavedFd>& fds, const TreeLinks& links) {
  for (const SavedFd& f : fds)
    if (uint64_t ino = socket_inode_of(f.path)) held_.insert(ino);
  for (const SocketInFlight& s : links.sockets) saved_.try_emplace(s.inode, s);
}

std::map<std::string, std::string> SocketPairRestorer::create() {
  std::map<std::string, std::string> subs;
  for (const auto& [ino, s] : saved_) {
    if (ino > s.peer && saved_.count(s.peer)) continue;  // made with its peer
    if (!held_.count(ino) || !held_.count(s.peer) || !saved_.count(s.peer)) continue;
    const SocketInFlight& peer = saved_.at(s.peer);
    int sv[2];
    if (socketpair(AF_UNIX, static_cast<int>(s.type) | SOCK_CLOEXEC, 0, sv) != 0)
      throw Error(errno_text("restart: socketpair", errno));
    fds_.push_back(sv[0]);
    fds_.push_back(sv[1]);
    ++created_;
    // What was queued for one end was sent by the other: send it again from there.
    for (const std::string& m : s.messages) send(sv[1], m.data(), m.size(), MSG_DONTWAIT);
    for (const std::string& m : peer.messages) send(sv[0], m.data(), m.size(), MSG_DONTWAIT);
    subs["socket:[" + std::to_string(ino) + "]"] = "ckrr-fd:" + std::to_string(sv[0]);
    subs["socket:[" + std::to_string(s.peer) + "]"] = "ckrr-fd:" + std::to_string(sv[1]);
  }
  return subs;
}

void SocketPairRestorer::finish() {
  for (int fd : fds_) close(fd);
  fds_.clear();
}

}  // namespace ckrr
