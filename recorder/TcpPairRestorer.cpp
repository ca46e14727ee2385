#include "recorder/TcpPairRestorer.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ckrr {

namespace {

const sockaddr* sa(const std::string& a) {
  return reinterpret_cast<const sockaddr*>(a.data());
}

// The same address with port 0.
std::string any_port(std::string a) {
  if (a.size() >= sizeof(sockaddr_in)) reinterpret_cast<sockaddr_in*>(a.data())->sin_port = 0;
  return a;
}

int bound_socket(int domain, const std::string& addr, bool* kept) {
  int s = socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  *kept = bind(s, sa(addr), static_cast<socklen_t>(addr.size())) == 0;
  if (!*kept) {
    const std::string fresh = any_port(addr);
    if (bind(s, sa(fresh), static_cast<socklen_t>(fresh.size())) != 0) {
      close(s);
      return -1;
    }
  }
  return s;
}

}  // namespace

TcpPairRestorer::~TcpPairRestorer() {
  finish();
}

void TcpPairRestorer::add(const std::vector<SavedFd>& fds, const TreeLinks& links) {
  for (const SavedFd& f : fds)
    if (uint64_t ino = socket_inode_of(f.path)) held_.push_back(ino);
  for (const TcpEnd& t : links.tcp) ends_.try_emplace(t.inode, t);
}

std::map<std::string, std::string> TcpPairRestorer::create(std::vector<std::string>* notes) {
  std::map<std::string, std::string> subs;
  std::vector<uint64_t> done;
  auto is_held = [&](uint64_t ino) {
    return std::find(held_.begin(), held_.end(), ino) != held_.end();
  };
  for (const auto& [ino, a] : ends_) {
    if (!is_held(ino) || std::count(done.begin(), done.end(), ino)) continue;
    const TcpEnd* b = nullptr;
    for (const auto& [ino2, e] : ends_)
      if (ino2 != ino && is_held(ino2) && e.local == a.peer && e.peer == a.local) b = &e;
    if (!b) continue;
    done.push_back(ino);
    done.push_back(b->inode);
    // b accepts (a temporary listener at its address), a connects from its own address.
    bool b_kept = false, a_kept = false;
    int l = bound_socket(b->domain, b->local, &b_kept);
    if (l < 0 || listen(l, 1) != 0) {
      notes->push_back("TCP connection socket:[" + std::to_string(ino) +
                       "] cannot be re-created (listen: " + strerror(errno) + ")");
      if (l >= 0) close(l);
      continue;
    }
    sockaddr_storage at{};
    socklen_t atlen = sizeof at;
    getsockname(l, reinterpret_cast<sockaddr*>(&at), &atlen);
    int c = bound_socket(a.domain, a.local, &a_kept);
    int s = -1;
    if (c >= 0 && connect(c, reinterpret_cast<sockaddr*>(&at), atlen) != 0 && a_kept) {
      close(c);  // the killed run's connection holds that 4-tuple: from a fresh port
      a_kept = false;
      c = bound_socket(a.domain, any_port(a.local), &a_kept);
      if (c >= 0 && connect(c, reinterpret_cast<sockaddr*>(&at), atlen) != 0) {
        close(c);
        c = -1;
      }
    }
    if (c >= 0) s = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
    close(l);
    if (c < 0 || s < 0) {
      notes->push_back("TCP connection socket:[" + std::to_string(ino) +
                       "] cannot be re-created (connect: " + strerror(errno) + ")");
      if (c >= 0) close(c);
      continue;
    }
    fds_.push_back(c);
    fds_.push_back(s);
    ++pairs_;
    if (!a_kept || !b_kept)
      notes->push_back("TCP connection socket:[" + std::to_string(ino) +
                       "] re-created on another port (the old one is still held)");
    // What was queued for one end was sent by the other: send it again from there.
    if (!a.bytes.empty()) send(s, a.bytes.data(), a.bytes.size(), MSG_DONTWAIT);
    if (!b->bytes.empty()) send(c, b->bytes.data(), b->bytes.size(), MSG_DONTWAIT);
    subs["socket:[" + std::to_string(ino) + "]"] = "ckrr-fd:" + std::to_string(c);
    subs["socket:[" + std::to_string(b->inode) + "]"] = "ckrr-fd:" + std::to_string(s);
  }
  return subs;
}

void TcpPairRestorer::finish() {
  for (int fd : fds_) close(fd);
  fds_.clear();
}

}  // namespace ckrr
