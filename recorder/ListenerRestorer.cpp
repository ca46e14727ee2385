#include "recorder/ListenerRestorer.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace ckrr {

ListenerRestorer::~ListenerRestorer() {
  finish();
}

void ListenerRestorer::add(const TreeLinks& links) {
  for (const ListeningSocket& l : links.listening) saved_.try_emplace(l.inode, l);
}

std::map<std::string, std::string> ListenerRestorer::create(std::vector<std::string>* warnings) {
  std::map<std::string, std::string> subs;
  for (const auto& [ino, l] : saved_) {
    const std::string name = "socket:[" + std::to_string(ino) + "]";
    auto fail = [&](const char* what, int fd) {
      warnings->push_back("listening " + name + ": " + what + ": " + strerror(errno) +
                          "; it is /dev/null now");
      if (fd >= 0) close(fd);
    };
    int s = socket(l.domain, l.type | SOCK_CLOEXEC, l.protocol);
    if (s < 0) {
      fail("socket", -1);
      continue;
    }
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l.domain == AF_INET6) setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &l.v6only, sizeof l.v6only);
    if (l.domain == AF_UNIX && l.address.size() > offsetof(sockaddr_un, sun_path) + 1 &&
        l.address[offsetof(sockaddr_un, sun_path)] != '\0') {
      sockaddr_un a{};
      memcpy(&a, l.address.data(), std::min(l.address.size(), sizeof a));
      struct stat st;
      a.sun_path[sizeof a.sun_path - 1] = '\0';
      if (stat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode)) unlink(a.sun_path);
    }
    if (bind(s, reinterpret_cast<const sockaddr*>(l.address.data()),
             static_cast<socklen_t>(l.address.size())) != 0) {
      fail("bind", s);
      continue;
    }
    if (listen(s, SOMAXCONN) != 0) {
      fail("listen", s);
      continue;
    }
    if (!l.reuseaddr) {
      int zero = 0;
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof zero);
    }
    fds_.push_back(s);
    ++listening_;
    subs[name] = "ckrr-fd:" + std::to_string(s);
  }
  return subs;
}

void ListenerRestorer::finish() {
  for (int fd : fds_) close(fd);
  fds_.clear();
}

}  // namespace ckrr
