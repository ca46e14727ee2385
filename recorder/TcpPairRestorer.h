#pragma once
// Connected TCP sockets between the processes of a tree restart (TreeRestart.h), on loopback
// or any local address: each pair of ends the checkpoint shows facing each other (one's
// address is the other's peer, both held by restored processes) is connected again in ckrr (a
// temporary listener at the accepting end's address, a socket bound to the other end's address
// connecting to it), the bytes queued for each end are sent again from the other, and each
// process takes its end with pidfd_getfd (FdReopener's "ckrr-fd:N"). The ends keep their
// addresses when those can be bound again; when the killed run's connection still holds them
// (TIME_WAIT without SO_REUSEADDR) a fresh port is used and named in a note: getsockname and
// getpeername then answer it (not virtualized yet).
// Not restored: bytes the sender had not sent yet (its send queue: no TCP_REPAIR without
// CAP_NET_ADMIN; on loopback data is in the receiver's queue as soon as it is written unless
// the receiver's window is full), urgent data, options (TCP_NODELAY...), a shutdown half.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "checkpoint/CheckpointManifest.h"
#include "recorder/TreeLinks.h"

namespace ckrr {

class TcpPairRestorer {
 public:
  TcpPairRestorer() = default;
  ~TcpPairRestorer();
  TcpPairRestorer(const TcpPairRestorer&) = delete;
  TcpPairRestorer& operator=(const TcpPairRestorer&) = delete;

  void add(const std::vector<SavedFd>& fds, const TreeLinks& links);
  // Connects the pairs; returns the FdReopener substitutes. Notes and warnings go to *notes.
  std::map<std::string, std::string> create(std::vector<std::string>* notes);
  void finish();
  size_t pairs() const { return pairs_; }

 private:
  std::map<uint64_t, TcpEnd> ends_;
  std::vector<uint64_t> held_;
  std::vector<int> fds_;
  size_t pairs_ = 0;
};

}  // namespace ckrr
