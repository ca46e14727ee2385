#include "recorder/TreeLinks.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace ckrr {

uint64_t pipe_inode_of(const std::string& p) {
  static const std::string kPipe = "pipe:[";
  if (p.compare(0, kPipe.size(), kPipe) != 0 || p.back() != ']') return 0;
  try {
    return std::stoull(p.substr(kPipe.size(), p.size() - kPipe.size() - 1));
  } catch (...) {
    return 0;
  }
}

namespace {

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

}  // namespace

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
  if (DIR* d = opendir((dir + "/fd").c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const std::string fd_path = dir + "/fd/" + e->d_name;
      char target[256];
      ssize_t n = readlink(fd_path.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      uint64_t ino = pipe_inode_of(std::string(target, static_cast<size_t>(n)));
      if (!ino || !seen.insert(ino).second) continue;
      PipeInFlight p;
      p.inode = ino;
      if (peek_pipe(fd_path, p)) out.pipes.push_back(std::move(p));
    }
    closedir(d);
  }
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
  return at == b.size();
}

}  // namespace ckrr
