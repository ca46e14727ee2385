#pragma once
// Gives a path that does not exist on this machine (a recorded program's executable, replayed
// from a trace made elsewhere) a file to bind-mount over, inside the launched program's private
// mount namespace only: the deepest existing ancestor directory gets an overlay whose upper
// layer lives in a tmpfs, and the missing directories and an empty file are created there.
// Nothing changes outside the namespace except an empty staging directory under /tmp that
// exists while the program starts.
#include <string>
#include <vector>

namespace ckrr {

class PathOverlay {
 public:
  // Parent side, before fork: plans the overlays for the targets that do not exist. Throws
  // Error when a path cannot be handled (an ancestor that is "/", option characters).
  // files: paths that must exist as (empty) files to bind-mount over; dirs: directories that
  // must exist (the recorded working directory).
  explicit PathOverlay(const std::vector<std::string>& files,
                       const std::vector<std::string>& dirs = {});
  ~PathOverlay();  // removes the staging directory
  PathOverlay(const PathOverlay&) = delete;
  PathOverlay& operator=(const PathOverlay&) = delete;

  bool empty() const { return plans_.empty(); }
  // Child side, after unshare(CLONE_NEWNS) and before the bind mounts: only syscalls, no
  // allocation. Returns 0 or an errno, with *what naming the step.
  int apply(const char** what) const;

 private:
  struct Plan {
    std::string ancestor;              // existing directory that gets the overlay
    std::string upper, work, options;  // under the staging tmpfs
    std::vector<std::string> dirs;     // directories to create, outermost first
    std::string file;                  // the target itself ("" when a directory was wanted)
  };
  std::string stage_;
  std::vector<Plan> plans_;
};

}  // namespace ckrr
