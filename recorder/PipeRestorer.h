#pragma once
// The pipes between the processes of a tree restart (TreeRestart.h). Each pipe of the
// checkpoint (one inode, "pipe:[N]" in the fd tables) is created once, in ckrr, before the
// processes reopen their fds; each process opens its end through /proc/<ckrr>/fd/<N> with the
// saved flags (a pipe opened by that path is the same pipe, read or write side as asked), so
// every end held by every process meets again in one pipe. Then the bytes that were in flight
// at the checkpoint (TreeLinks) are written back and ckrr closes its own ends, leaving the
// processes the only readers and writers, as when recorded.
//
// A pipe with an end outside the recording (not ckrr's stdio, which is reconnected as such)
// comes back without that outside peer: its restored reader sees end-of-file after the saved
// bytes, its writer EPIPE.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "checkpoint/CheckpointManifest.h"
#include "recorder/TreeLinks.h"

namespace ckrr {

class PipeRestorer {
 public:
  PipeRestorer() = default;
  ~PipeRestorer();
  PipeRestorer(const PipeRestorer&) = delete;
  PipeRestorer& operator=(const PipeRestorer&) = delete;

  // One process's fd table and its saved links (the bytes in flight of the pipes it holds).
  // std_fds: fds that were ckrr record's stdio (reconnected to ckrr restart's, not re-created).
  void add(const std::vector<SavedFd>& fds, const TreeLinks& links, const std::set<int>& std_fds);
  // Creates the pipes in ckrr. Returns what FdReopener opens instead of each "pipe:[N]".
  // Throws Error.
  std::map<std::string, std::string> create();
  // Writes the saved bytes back and closes ckrr's ends. Returns warnings (bytes that did not fit).
  std::vector<std::string> finish();
  size_t count() const { return pipes_.size(); }
  size_t bytes_in_flight() const;

 private:
  struct Pipe {
    uint32_t capacity = 0;
    std::string bytes;
    int fds[2] = {-1, -1};
  };
  std::map<uint64_t, Pipe> pipes_;
};

}  // namespace ckrr
