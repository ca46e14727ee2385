#include "recorder/TreeLinks.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace ckrr {

namespace {

uint64_t inode_in(const std::string& p, const std::string& prefix) {
  if (p.compare(0, prefix.size(), prefix) != 0 || p.back() != ']') return 0;
  try {
    return std::stoull(p.substr(prefix.size(), p.size() - prefix.size() - 1));
  } catch (...) {
    return 0;
  }
}

struct UnixPeer {
  uint64_t peer = 0;
  uint32_t type = 0;
};

// Every connected unix socket of this network namespace: inode -> its peer's inode and type
// (sock_diag, as `ss -x` asks).
std::map<uint64_t, UnixPeer> unix_peers() {
  std::map<uint64_t, UnixPeer> out;
  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) return out;
  struct {
    nlmsghdr nlh;
    unix_diag_req r;
  } req{};
  req.nlh.nlmsg_len = sizeof req;
  req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.r.sdiag_family = AF_UNIX;
  req.r.udiag_states = ~0u;
  req.r.udiag_show = UDIAG_SHOW_PEER;
  if (send(nl, &req, sizeof req, 0) != static_cast<ssize_t>(sizeof req)) {
    close(nl);
    return out;
  }
  alignas(nlmsghdr) char buf[32768];
  for (bool done = false; !done;) {
    ssize_t n = recv(nl, buf, sizeof buf, 0);
    if (n <= 0) break;
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        done = true;
        break;
      }
      auto* m = static_cast<unix_diag_msg*>(NLMSG_DATA(h));
      int alen = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
      for (auto* a = reinterpret_cast<rtattr*>(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
        if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
          uint32_t peer;
          memcpy(&peer, RTA_DATA(a), sizeof peer);
          if (peer) out[m->udiag_ino] = UnixPeer{peer, m->udiag_type};
        }
    }
  }
  close(nl);
  return out;
}

// The messages queued for fd of process pid, left queued: a duplicate of its socket is read
// with MSG_PEEK from a moving peek offset, which is then turned off again.
bool peek_socket(int pidfd, int fd, SocketInFlight& out) {
  int s = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  if (s < 0) return false;
  int off = 0;
  bool ok = setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof off) == 0;
  std::string buf(1 << 20, '\0');
  while (ok) {
    ssize_t n = recv(s, buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) {
      ok = errno == EAGAIN || errno == EWOULDBLOCK;
      break;
    }
    if (n == 0 && out.type == SOCK_STREAM) break;  // nothing more (or the peer shut down)
    out.messages.emplace_back(buf.data(), static_cast<size_t>(n));
    if (out.messages.size() > 100000) ok = false;
  }
  off = -1;
  setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof off);
  close(s);
  return ok;
}

// The bytes in the pipe behind /proc/PID/fd/N, left in place: tee copies them into a pipe of
// ours, as big as the source, from which they are read.
bool peek_pipe(const std::string& proc_fd, PipeInFlight& out) {
  int src = open(proc_fd.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (src < 0) return false;
  int cap = fcntl(src, F_GETPIPE_SZ);
  out.capacity = cap > 0 ? static_cast<uint32_t>(cap) : 0;
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
    close(src);
    return false;
  }
  if (cap > 0) fcntl(p[1], F_SETPIPE_SZ, cap);
  ssize_t n = tee(src, p[1], static_cast<size_t>(cap > 0 ? cap : 65536), SPLICE_F_NONBLOCK);
  bool ok = true;
  if (n > 0) {
    out.bytes.resize(static_cast<size_t>(n));
    size_t got = 0;
    while (got < out.bytes.size()) {
      ssize_t r = read(p[0], out.bytes.data() + got, out.bytes.size() - got);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    ok = got == out.bytes.size();
  } else if (n < 0 && errno != EAGAIN) {
    ok = false;
  }
  close(p[0]);
  close(p[1]);
  close(src);
  return ok;
}

void put32(std::vector<uint8_t>& b, uint32_t v) {
  b.insert(b.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 4);
}
void put64(std::vector<uint8_t>& b, uint64_t v) {
  b.insert(b.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 8);
}

// Whether fd of the process behind pidfd listens, and where (read through a duplicate).
bool read_listening(int pidfd, int fd, ListeningSocket& out) {
  int s = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  if (s < 0) return false;
  int v = 0;
  socklen_t len = sizeof v;
  bool ok = getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
  auto get = [&](int level, int opt, int32_t* into) {
    int x = 0;
    socklen_t l = sizeof x;
    if (getsockopt(s, level, opt, &x, &l) == 0) *into = x;
  };
  if (ok) {
    get(SOL_SOCKET, SO_DOMAIN, &out.domain);
    get(SOL_SOCKET, SO_TYPE, &out.type);
    get(SOL_SOCKET, SO_PROTOCOL, &out.protocol);
    get(SOL_SOCKET, SO_REUSEADDR, &out.reuseaddr);
    if (out.domain == AF_INET6) get(IPPROTO_IPV6, IPV6_V6ONLY, &out.v6only);
    sockaddr_storage a{};
    socklen_t alen = sizeof a;
    ok = getsockname(s, reinterpret_cast<sockaddr*>(&a), &alen) == 0;
    out.address.assign(reinterpret_cast<const char*>(&a), alen);
  }
  close(s);
  return ok;
}

// Whether fd of the process behind pidfd is a connected TCP socket: its addresses and the
// bytes queued for it (peeked from a moving SO_PEEK_OFF, left queued).
bool read_tcp(int pidfd, int fd, TcpEnd& out) {
  int s = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  if (s < 0) return false;
  int domain = 0, type = 0, proto = 0;
  socklen_t l = sizeof(int);
  getsockopt(s, SOL_SOCKET, SO_DOMAIN, &domain, &l);
  l = sizeof(int);
  getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &l);
  l = sizeof(int);
  getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &proto, &l);
  bool ok =
      (domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM && proto == IPPROTO_TCP;
  if (ok) {
    out.domain = domain;
    sockaddr_storage a{}, b{};
    socklen_t al = sizeof a, bl = sizeof b;
    ok = getsockname(s, reinterpret_cast<sockaddr*>(&a), &al) == 0 &&
         getpeername(s, reinterpret_cast<sockaddr*>(&b), &bl) == 0;
    out.local.assign(reinterpret_cast<const char*>(&a), al);
    out.peer.assign(reinterpret_cast<const char*>(&b), bl);
  }
  if (ok) {
    int off = 0;
    ok = setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof off) == 0;
    std::string buf(1 << 20, '\0');
    while (ok) {
      ssize_t n = recv(s, buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT);
      if (n <= 0) {
        ok = n == 0 || errno == EAGAIN || errno == EWOULDBLOCK;
        break;
      }
      out.bytes.append(buf.data(), static_cast<size_t>(n));
      if (out.bytes.size() > (64u << 20)) ok = false;
    }
    off = -1;
    setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof off);
  }
  close(s);
  return ok;
}

}  // namespace

uint64_t pipe_inode_of(const std::string& p) {
  return inode_in(p, "pipe:[");
}

uint64_t socket_inode_of(const std::string& p) {
  return inode_in(p, "socket:[");
}

TreeLinks TreeLinks::capture(pid_t pid) {
  TreeLinks out;
  // Pipes that are ckrr's own stdio are read by someone outside the recording: not ours.
  std::vector<uint64_t> ignore_inodes;
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) ignore_inodes.push_back(st.st_ino);
  }
  const std::string dir = "/proc/" + std::to_string(pid);
  {
    std::ifstream st(dir + "/stat");
    std::string text((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
    // After the ")" that ends comm: state ppid pgrp session.
    size_t close_paren = text.rfind(')');
    if (close_paren != std::string::npos) {
      std::istringstream in(text.substr(close_paren + 1));
      std::string state;
      in >> state >> out.ppid >> out.pgid >> out.sid;
    }
  }
  std::set<uint64_t> seen(ignore_inodes.begin(), ignore_inodes.end());
  std::map<uint64_t, UnixPeer> peers;
  bool peers_read = false;
  int pidfd = -1;
  if (DIR* d = opendir((dir + "/fd").c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const std::string fd_path = dir + "/fd/" + e->d_name;
      char target[256];
      ssize_t n = readlink(fd_path.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      const std::string link(target, static_cast<size_t>(n));
      if (uint64_t sock = socket_inode_of(link); sock && seen.insert(sock).second) {
        if (!peers_read) {
          peers = unix_peers();
          peers_read = true;
          pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
        }
        auto it = peers.find(sock);
        if (pidfd < 0) continue;
        if (it == peers.end()) {  // not a connected unix socket: maybe a listening one
          ListeningSocket ls;
          ls.inode = sock;
          if (read_listening(pidfd, atoi(e->d_name), ls)) {
            out.listening.push_back(std::move(ls));
          } else {
            TcpEnd te;
            te.inode = sock;
            if (read_tcp(pidfd, atoi(e->d_name), te)) out.tcp.push_back(std::move(te));
          }
          continue;
        }
        SocketInFlight so;
        so.inode = sock;
        so.peer = it->second.peer;
        so.type = it->second.type;
        if (peek_socket(pidfd, atoi(e->d_name), so)) out.sockets.push_back(std::move(so));
        continue;
      }
      uint64_t ino = pipe_inode_of(link);
      if (!ino || !seen.insert(ino).second) continue;
      PipeInFlight p;
      p.inode = ino;
      if (peek_pipe(fd_path, p)) out.pipes.push_back(std::move(p));
    }
    closedir(d);
  }
  if (pidfd >= 0) close(pidfd);
  return out;
}

std::vector<uint8_t> TreeLinks::serialize() const {
  std::vector<uint8_t> b;
  put32(b, static_cast<uint32_t>(ppid));
  put32(b, static_cast<uint32_t>(pgid));
  put32(b, static_cast<uint32_t>(sid));
  put32(b, static_cast<uint32_t>(pipes.size()));
  for (const PipeInFlight& p : pipes) {
    put64(b, p.inode);
    put32(b, p.capacity);
    put32(b, static_cast<uint32_t>(p.bytes.size()));
    b.insert(b.end(), p.bytes.begin(), p.bytes.end());
  }
  put32(b, static_cast<uint32_t>(sockets.size()));
  for (const SocketInFlight& so : sockets) {
    put64(b, so.inode);
    put64(b, so.peer);
    put32(b, so.type);
    put32(b, static_cast<uint32_t>(so.messages.size()));
    for (const std::string& m : so.messages) {
      put32(b, static_cast<uint32_t>(m.size()));
      b.insert(b.end(), m.begin(), m.end());
    }
  }
  put32(b, static_cast<uint32_t>(listening.size()));
  for (const ListeningSocket& l : listening) {
    put64(b, l.inode);
    for (int32_t v : {l.domain, l.type, l.protocol, l.reuseaddr, l.v6only})
      put32(b, static_cast<uint32_t>(v));
    put32(b, static_cast<uint32_t>(l.address.size()));
    b.insert(b.end(), l.address.begin(), l.address.end());
  }
  put32(b, static_cast<uint32_t>(tcp.size()));
  for (const TcpEnd& t : tcp) {
    put64(b, t.inode);
    put32(b, static_cast<uint32_t>(t.domain));
    for (const std::string* str : {&t.local, &t.peer, &t.bytes}) {
      put32(b, static_cast<uint32_t>(str->size()));
      b.insert(b.end(), str->begin(), str->end());
    }
  }
  return b;
}

bool TreeLinks::parse(const std::vector<uint8_t>& b) {
  size_t at = 0;
  auto get = [&](void* v, size_t n) {
    if (b.size() - at < n) return false;
    memcpy(v, b.data() + at, n);
    at += n;
    return true;
  };
  uint32_t count = 0;
  if (!get(&ppid, 4) || !get(&pgid, 4) || !get(&sid, 4) || !get(&count, 4)) return false;
  pipes.clear();
  for (uint32_t i = 0; i < count; ++i) {
    PipeInFlight p;
    uint32_t len = 0;
    if (!get(&p.inode, 8) || !get(&p.capacity, 4) || !get(&len, 4) || b.size() - at < len)
      return false;
    p.bytes.assign(reinterpret_cast<const char*>(b.data() + at), len);
    at += len;
    pipes.push_back(std::move(p));
  }
  sockets.clear();
  if (at == b.size()) return true;  // saved without sockets
  if (!get(&count, 4)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    SocketInFlight so;
    uint32_t nmsg = 0;
    if (!get(&so.inode, 8) || !get(&so.peer, 8) || !get(&so.type, 4) || !get(&nmsg, 4))
      return false;
    for (uint32_t k = 0; k < nmsg; ++k) {
      uint32_t len = 0;
      if (!get(&len, 4) || b.size() - at < len) return false;
      so.messages.emplace_back(reinterpret_cast<const char*>(b.data() + at), len);
      at += len;
    }
    sockets.push_back(std::move(so));
  }
  listening.clear();
  if (at == b.size()) return true;  // saved without listening sockets
  if (!get(&count, 4)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    ListeningSocket l;
    uint32_t len = 0;
    if (!get(&l.inode, 8) || !get(&l.domain, 4) || !get(&l.type, 4) || !get(&l.protocol, 4) ||
        !get(&l.reuseaddr, 4) || !get(&l.v6only, 4) || !get(&len, 4) || b.size() - at < len)
      return false;
    l.address.assign(reinterpret_cast<const char*>(b.data() + at), len);
    at += len;
    listening.push_back(std::move(l));
  }
  tcp.clear();
  if (at == b.size()) return true;  // saved without TCP connections
  if (!get(&count, 4)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    TcpEnd t;
    if (!get(&t.inode, 8) || !get(&t.domain, 4)) return false;
    for (std::string* str : {&t.local, &t.peer, &t.bytes}) {
      uint32_t len = 0;
      if (!get(&len, 4) || b.size() - at < len) return false;
      str->assign(reinterpret_cast<const char*>(b.data() + at), len);
      at += len;
    }
    tcp.push_back(std::move(t));
  }
  return at == b.size();
}

}  // namespace ckrr
