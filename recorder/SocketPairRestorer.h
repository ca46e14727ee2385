#pragma once
// The connected unix sockets between the processes of a tree restart (TreeRestart.h): each pair
// of ends the checkpoint shows connected (TreeLinks: inode and peer inode, socketpairs as well
// as connections to a named socket) is re-created once in ckrr with socketpair(2), the
// messages that were queued for each end are sent again from the other, and each process takes
// its end from ckrr with pidfd_getfd (FdReopener: "ckrr-fd:N"). Then ckrr closes its copies.
//
// An end whose peer is outside the restored processes is not re-created (it becomes /dev/null,
// as any socket did before). Not restored: the named socket's address (getsockname/getpeername
// answer an unnamed socket), socket options, a shutdown half, SCM_RIGHTS in flight.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "checkpoint/CheckpointManifest.h"
#include "recorder/TreeLinks.h"

namespace ckrr {

class SocketPairRestorer {
 public:
  SocketPairRestorer() = default;
  ~SocketPairRestorer();
  SocketPairRestorer(const SocketPairRestorer&) = delete;
  SocketPairRestorer& operator=(const SocketPairRestorer&) = delete;

  // One process's fd table and its saved links.
  void add(const std::vector<SavedFd>& fds, const TreeLinks& links);
  // Creates the pairs whose both ends are held, with their queued messages. Returns what
  // FdReopener takes instead of each "socket:[N]". Throws Error.
  std::map<std::string, std::string> create();
  // Closes ckrr's ends (once every process holds its own).
  void finish();
  size_t pairs() const { return created_; }

 private:
  std::set<uint64_t> held_;
  std::map<uint64_t, SocketInFlight> saved_;  // by inode
  std::vector<int> fds_;
  size_t created_ = 0;
};

}  // namespace ckrr
