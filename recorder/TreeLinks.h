#pragma once
// What a checkpoint says about a process's place among the others of its recording, for a live
// restart of the whole tree (TreeRestart.h): its parent, process group and session as the
// program saw them, and the bytes in flight in every pipe it holds an end of (read with tee(2),
// which leaves them in the pipe: the recording goes on unchanged). Replay ignores it.
//
// Taken while every process of the group is held at a boundary, so no call is moving bytes
// through a pipe meanwhile. Saved as the "links" blob of each process's checkpoint.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckrr {

inline constexpr const char* kLinksBlob = "links";
// Blob of a process captured at the entry of a call that had in fact completed (a blocked
// read or write of a group checkpoint): the call's result (int64). A live restart returns it
// instead of making the call again, which would read or write the pipe's bytes twice.
inline constexpr const char* kEnteredResultBlob = "entered-result";

struct PipeInFlight {
  uint64_t inode = 0;
  uint32_t capacity = 0;  // F_GETPIPE_SZ
  std::string bytes;      // unread when the checkpoint was taken
};

// One end of a connected unix socket (a socketpair, or an accepted or connected named socket):
// its peer's inode, its type and the messages queued for it (read with MSG_PEEK and
// SO_PEEK_OFF, so they stay queued).
struct SocketInFlight {
  uint64_t inode = 0, peer = 0;
  uint32_t type = 0;  // SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET
  std::vector<std::string> messages;
};

// A listening socket: what it takes to listen again at the same address.
struct ListeningSocket {
  uint64_t inode = 0;
  int32_t domain = 0, type = 0, protocol = 0;
  int32_t reuseaddr = 0, v6only = 0;
  std::string address;  // the sockaddr getsockname gave
};

// One end of a connected TCP socket: its address, its peer's and the bytes queued for it.
struct TcpEnd {
  uint64_t inode = 0;
  int32_t domain = 0;
  std::string local, peer;  // sockaddrs (getsockname, getpeername)
  std::string bytes;
};

struct TreeLinks {
  int32_t ppid = 0, pgid = 0, sid = 0;
  std::vector<PipeInFlight> pipes;
  std::vector<SocketInFlight> sockets;
  std::vector<ListeningSocket> listening;
  std::vector<TcpEnd> tcp;

  // Reads them for process pid (stopped) from /proc; pipes that are the caller's own stdio are
  // left out (their reader is outside the recording).
  static TreeLinks capture(pid_t pid);
  std::vector<uint8_t> serialize() const;
  bool parse(const std::vector<uint8_t>& blob);
};

// The inode of a "pipe:[N]" (or "socket:[N]") fd path, or 0.
uint64_t pipe_inode_of(const std::string& fd_path);
uint64_t socket_inode_of(const std::string& fd_path);

}  // namespace ckrr
