#pragma once
// ckrr restart of a checkpoint group (a checkpoint of several processes, one checkpoint each,
// taken at the same event): the whole tree comes back, connected as it was.
//  - Parent and child relations: an empty process (the restore stub) is started for the root,
//    and every other process's empty process is forked, by an injected fork, from its recorded
//    parent's, before any memory is restored; so each restored process is its recorded
//    parent's real child (wait4, SIGCHLD and getppid work) and the root is ckrr's.
//  - Sessions and process groups: setsid/setpgid injected into the empty processes where the
//    recorded ones name a process of the tree (the root stays in ckrr restart's group, so ^C
//    reaches them all).
//  - Pipes between them: PipeRestorer, with the bytes in flight put back.
//  - Every process keeps its recorded pid, every restored thread its tid (VirtualIds; each
//    process's table also names the others, so kill, wait4 and /proc/<pid> of a sibling work).
//  - A process saved at the entry of a call that had completed (a group checkpoint) gets that
//    call's result instead of making it again (TreeLinks.h: kEnteredResultBlob).
// A checkpoint of one process is a tree of one. Sockets between the processes are not
// re-created yet: they become /dev/null like any socket (FdReopener).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "recorder/ProcessRestart.h"

namespace ckrr {

struct RestartedTree {
  // Root first, then parents before their children; each stopped and ready to cont().
  std::vector<RestartedProcess> procs;
  uint32_t checkpoint = 0;  // the group's first id
};

// Restores the latest usable checkpoint group (or the one holding `checkpoint`), falling back
// to earlier ones past corrupt ones, with messages on stderr. Throws Error.
RestartedTree restart_tree(const std::filesystem::path& trace_dir,
                           std::optional<uint32_t> checkpoint);

}  // namespace ckrr
