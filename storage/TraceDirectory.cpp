// The trace directory. Everything in it is the recorded app's data, so directories are 0700 and
// files 0600 regardless of the umask, and --force never deletes anything that is not a trace.
#include "storage/TraceDirectory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "core/Error.h"
#include "storage/FdIo.h"

namespace ckrr {

namespace fs = std::filesystem;

namespace {

constexpr const char* kVersionPrefix = "ckrr-trace ";

// mkdir with mode 0700 (chmod too: mkdir's mode is filtered by the umask). false if it existed.
bool make_private_dir(const fs::path& p) {
  if (::mkdir(p.c_str(), 0700) != 0) {
    if (errno == EEXIST && fs::is_directory(p)) return false;
    throw Error(errno_text(p.string(), errno));
  }
  if (::chmod(p.c_str(), 0700) != 0) throw Error(errno_text(p.string(), errno));
  return true;
}

// Creates the missing directories of p, outermost first, each 0700.
void make_private_dirs(const fs::path& p) {
  fs::path cur;
  for (const fs::path& part : p) {
    cur /= part;
    if (!fs::exists(cur)) make_private_dir(cur);
  }
}

std::string read_version_file(const fs::path& dir) {
  std::ifstream in(dir / "VERSION", std::ios::binary);
  std::string s;
  char buf[64];
  in.read(buf, sizeof buf);  // a real VERSION is a dozen bytes; do not slurp a huge file
  s.assign(buf, size_t(in.gcount()));
  return s;
}

bool is_trace(const fs::path& dir) {
  return fs::is_regular_file(dir / "VERSION") && read_version_file(dir).starts_with(kVersionPrefix);
}

}  // namespace

TraceDirectory TraceDirectory::create(const fs::path& dir, bool force) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir)) throw Error(dir.string() + " exists and is not a directory");
    if (!fs::is_empty(dir)) {
      if (!force) throw Error(dir.string() + " already exists (use --force to replace it)");
      if (!is_trace(dir)) {
        throw Error(dir.string() + " is not empty and is not a ckrr trace; refusing to replace it");
      }
      fs::remove_all(dir, ec);
      if (ec) throw Error(dir.string() + ": cannot remove the old trace: " + ec.message());
    }
  }
  make_private_dirs(dir);
  if (::chmod(dir.c_str(), 0700) != 0) throw Error(errno_text(dir.string(), errno));

  fs::path version = dir / "VERSION";
  int fd = ::open(version.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(errno_text(version.string(), errno));
  std::string text = kVersionPrefix + std::to_string(kFormatVersion) + "\n";
  int err = write_all(fd, text.data(), text.size());
  if (!err && ::fchmod(fd, 0600) != 0) err = errno;
  ::close(fd);
  if (err) throw Error(errno_text(version.string(), err));

  TraceDirectory t(dir);
  make_private_dir(t.files_dir());
  make_private_dir(t.checkpoints_dir());
  return t;
}

TraceDirectory TraceDirectory::open(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw TraceError(dir.string() + ": no such trace directory");
  if (!fs::is_directory(dir, ec)) throw TraceError(dir.string() + ": not a directory");
  if (!fs::is_regular_file(dir / "VERSION", ec))
    throw TraceError(dir.string() + ": not a ckrr trace (no VERSION file)");
  std::string v = read_version_file(dir);
  if (!v.starts_with(kVersionPrefix)) {
    throw TraceError(dir.string() + ": not a ckrr trace (VERSION says \"" +
                     v.substr(0, v.find('\n')) + "\")");
  }
  std::string num = v.substr(std::char_traits<char>::length(kVersionPrefix));
  num = num.substr(0, num.find('\n'));
  if (num != std::to_string(kFormatVersion)) {
    throw TraceError(dir.string() + ": trace format version " + num + ", this ckrr reads version " +
                     std::to_string(kFormatVersion));
  }
  return TraceDirectory(dir);
}

fs::path TraceDirectory::default_location(const std::string& program) {
  std::string base = fs::path(program).filename().string();
  if (base.empty() || base == "." || base == "..") base = "trace";
  fs::path root = "ckrr-traces";
  make_private_dir(root);
  // mkdir is atomic, so creating the directory here reserves the name against a concurrent
  // recorder; create() accepts the empty directory.
  for (unsigned n = 1;; ++n) {
    fs::path p = root / (base + "-" + std::to_string(n));
    if (::mkdir(p.c_str(), 0700) == 0) {
      if (::chmod(p.c_str(), 0700) != 0) throw Error(errno_text(p.string(), errno));
      return p;
    }
    if (errno != EEXIST) throw Error(errno_text(p.string(), errno));
  }
}

}  // namespace ckrr
