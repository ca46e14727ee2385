#include "replayer/gdb/GdbServer.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "core/Error.h"
#include "replayer/gdb/GdbPacket.h"
#include "replayer/gdb/GdbSession.h"

namespace ckrr::gdb {

namespace {

uint16_t parse_port(const std::string& s, const std::string& whole) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
    throw Error("bad gdb address '" + whole + "': expected HOST:PORT, :PORT or PORT");
  unsigned long v = std::stoul(s);
  if (v > 65535) throw Error("bad gdb address '" + whole + "': port " + s + " is out of range");
  return static_cast<uint16_t>(v);
}

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Bytes from the socket, decoded on the reader thread; interrupts go straight to the session,
// everything else waits in the queue for the serving thread.
class Inbox {
 public:
  void push(PacketEvent e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
    cv_.notify_one();
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_one();
  }
  // False once the connection is gone and the queue is drained.
  bool pop(PacketEvent& e) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !events_.empty() || closed_; });
    if (events_.empty()) return false;
    e = std::move(events_.front());
    events_.pop_front();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PacketEvent> events_;
  bool closed_ = false;
};

}  // namespace

ListenAddress parse_listen_address(const std::string& text) {
  ListenAddress a;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw Error("bad gdb address '" + text + "': expected [V6ADDR]:PORT");
    a.host = text.substr(1, close - 1);
    a.port = parse_port(text.substr(close + 2), text);
    return a;
  }
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    a.port = parse_port(text, text);
    return a;
  }
  if (colon > 0) a.host = text.substr(0, colon);
  a.port = parse_port(text.substr(colon + 1), text);
  return a;
}

GdbServer::~GdbServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

uint16_t GdbServer::listen(const ListenAddress& addr) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(addr.port);
  int rc = getaddrinfo(addr.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) throw Error("gdb server: cannot resolve '" + addr.host + "': " + gai_strerror(rc));
  int err = 0;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 1) == 0) {
      listen_fd_ = fd;
      break;
    }
    err = errno;
    ::close(fd);
  }
  freeaddrinfo(res);
  if (listen_fd_ < 0)
    throw Error(errno_text("gdb server: cannot listen on " + addr.host + ":" + port, err));
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

void GdbServer::serve(bool keep_listening) {
  if (listen_fd_ < 0) throw Error("gdb server: serve() before listen()");
  for (;;) {
    int fd;
    do {
      fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw Error(errno_text("gdb server: accept", errno));
    if (!keep_listening) {
      // One client only: later connections are refused rather than queued behind this one.
      ::close(listen_fd_);
      listen_fd_ = -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bool killed = serve_fd(fd);
    if (killed || !keep_listening) return;
  }
}

bool GdbServer::serve_fd(int fd) {
  GdbSession session(target_);
  Inbox inbox;
  std::thread reader([&] {
    PacketDecoder decoder;
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      decoder.feed(buf, static_cast<size_t>(n));
      while (decoder.has_event()) {
        PacketEvent e = decoder.next();
        if (e.kind == PacketEvent::Kind::Interrupt)
          session.interrupt();
        else
          inbox.push(std::move(e));
      }
    }
    // gdb went away: stop a running target too, so serve_fd can return.
    session.interrupt();
    inbox.close();
  });

  bool ack = true;
  std::string last_sent;
  auto send_packet = [&](const std::string& payload) {
    last_sent = encode_packet(payload);
    return write_all(fd, last_sent);
  };
  PacketEvent e;
  bool ok = true;
  while (ok && !session.finished() && inbox.pop(e)) {
    using K = PacketEvent::Kind;
    switch (e.kind) {
      case K::Packet: {
        if (ack && !write_all(fd, "+")) ok = false;
        for (const std::string& reply : session.handle(e.payload))
          if (ok && !send_packet(reply)) ok = false;
        if (session.no_ack()) ack = false;
        break;
      }
      case K::BadChecksum:
      case K::Overflow:
      case K::Truncated:
        // With acks gdb resends on `-`; without, it waits for a reply, so give it an error.
        ok = ack ? write_all(fd, "-") : send_packet("E01");
        break;
      case K::Nak:
        if (ack && !last_sent.empty()) ok = write_all(fd, last_sent);
        break;
      case K::Ack:
      case K::Interrupt:
        break;
    }
  }
  ::shutdown(fd, SHUT_RDWR);
  reader.join();
  ::close(fd);
  return session.killed();
}

}  // namespace ckrr::gdb
