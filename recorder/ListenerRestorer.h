#pragma once
// Listening sockets of a tree restart (TreeRestart.h): each listening socket a checkpoint shows
// (TreeLinks: domain, type, protocol, address, SO_REUSEADDR, IPV6_V6ONLY) listens again at the
// same address, made in ckrr (SO_REUSEADDR, so connections of the killed run lingering in
// TIME_WAIT do not stop it) and taken by the process with pidfd_getfd (FdReopener's
// "ckrr-fd:N"). A unix socket's stale file is removed first, as the killed run left it.
// Not restored: connections that waited in its accept queue at the checkpoint (their clients
// were killed too, or are outside), the backlog (SOMAXCONN), other options; SO_PEERCRED seen by
// a unix client names ckrr (which called listen).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "recorder/TreeLinks.h"

namespace ckrr {

class ListenerRestorer {
 public:
  ListenerRestorer() = default;
  ~ListenerRestorer();
  ListenerRestorer(const ListenerRestorer&) = delete;
  ListenerRestorer& operator=(const ListenerRestorer&) = delete;

  void add(const TreeLinks& links);
  // Listens again; returns the FdReopener substitutes and warnings for those that cannot.
  std::map<std::string, std::string> create(std::vector<std::string>* warnings);
  // Closes ckrr's copies.
  void finish();
  size_t count() const { return listening_; }

 private:
  std::map<uint64_t, ListeningSocket> saved_;
  std::vector<int> fds_;
  size_t listening_ = 0;
};

}  // namespace ckrr
