#include "core/PathOverlay.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "core/Error.h"

namespace ckrr {

PathOverlay::PathOverlay(const std::vector<std::string>& files,
                         const std::vector<std::string>& dirs) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, bool>> targets;  // (path, is a directory)
  for (const auto& f : files) targets.emplace_back(f, false);
  for (const auto& d : dirs) targets.emplace_back(d, true);
  for (const auto& [t, is_dir] : targets) {
    std::error_code ec;
    if (fs::exists(t, ec)) continue;
    const fs::path target = fs::absolute(t).lexically_normal();
    fs::path ancestor = is_dir ? target : target.parent_path();
    std::vector<std::string> dirs;
    while (!fs::is_directory(ancestor, ec)) {
      dirs.insert(dirs.begin(), ancestor.string());
      ancestor = ancestor.parent_path();
    }
    if (ancestor == ancestor.root_path())
      throw Error(t + " does not exist here and no directory above it but / does");
    // overlayfs options are comma-separated, and ':' separates lower layers.
    if (ancestor.string().find_first_of(",:") != std::string::npos)
      throw Error(t + " does not exist here, and " + ancestor.string() +
                  " cannot carry an overlay (',' or ':' in its name)");
    if (stage_.empty()) {
      char tmpl[] = "/tmp/ckrr-stage-XXXXXX";
      if (!mkdtemp(tmpl)) throw Error(errno_text("mkdtemp /tmp/ckrr-stage", errno));
      stage_ = tmpl;
    }
    Plan p;
    p.ancestor = ancestor.string();
    const std::string n = std::to_string(plans_.size());
    p.upper = stage_ + "/u" + n;
    p.work = stage_ + "/w" + n;
    p.options = "lowerdir=" + p.ancestor + ",upperdir=" + p.upper + ",workdir=" + p.work;
    p.dirs = std::move(dirs);
    p.file = is_dir ? "" : target.string();
    plans_.push_back(std::move(p));
  }
}

PathOverlay::~PathOverlay() {
  if (!stage_.empty()) rmdir(stage_.c_str());
}

int PathOverlay::apply(const char** what) const {
  if (plans_.empty()) return 0;
  *what = "mount tmpfs for the missing executable's overlay";
  if (mount("tmpfs", stage_.c_str(), "tmpfs", 0, "mode=0700") != 0) return errno;
  for (const Plan& p : plans_) {
    *what = "mkdir in the overlay's staging tmpfs";
    if (mkdir(p.upper.c_str(), 0700) != 0 || mkdir(p.work.c_str(), 0700) != 0) return errno;
    *what = "overlay mount for the missing executable";
    if (mount("overlay", p.ancestor.c_str(), "overlay", 0, p.options.c_str()) != 0) return errno;
    *what = "mkdir for the missing executable";
    for (const auto& d : p.dirs)
      if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return errno;
    if (p.file.empty()) continue;
    *what = "create the missing executable's mount point";
    int fd = open(p.file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    if (fd < 0) return errno;
    close(fd);
  }
  return 0;
}

}  // namespace ckrr
