#include "storage/LaunchInfo.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/Error.h"

namespace ckrr {

namespace {
// Format: "ckrr-launch 1\0" then NUL-terminated fields: path, cwd, pid, argc, argv..., envc,
// envp...
constexpr char kMagic[] = "ckrr-launch 1";
}  // namespace

void LaunchInfo::save(const std::filesystem::path& file) const {
  std::string out(kMagic, sizeof kMagic);
  auto put = [&](const std::string& s) {
    out += s;
    out.push_back('\0');
  };
  put(path);
  put(cwd);
  put(std::to_string(pid));
  put(std::to_string(cpu));
  put(std::to_string(ignored_signals));
  put(std::to_string(blocked_signals));
  put(std::to_string(argv.size()));
  for (const auto& a : argv) put(a);
  put(std::to_string(envp.size()));
  for (const auto& e : envp) put(e);
  std::string tmp = file.string() + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(errno_text(tmp, errno));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = write(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      close(fd);
      unlink(tmp.c_str());
      throw Error(errno_text(tmp, e));
    }
    done += n;
  }
  fsync(fd);
  close(fd);
  if (rename(tmp.c_str(), file.c_str()) != 0) throw Error(errno_text(file.string(), errno));
}

LaunchInfo LaunchInfo::load(const std::filesystem::path& file) {
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw TraceError(errno_text(file.string(), errno));
  std::string data;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) data.append(buf, n);
  close(fd);
  size_t pos = 0;
  auto bad = [&]() { return TraceError(file.string() + ": malformed launch record"); };
  auto get = [&]() {
    size_t end = data.find('\0', pos);
    if (end == std::string::npos) throw bad();
    std::string s = data.substr(pos, end - pos);
    pos = end + 1;
    return s;
  };
  auto get_num = [&]() {
    std::string s = get();
    char* end = nullptr;
    long v = strtol(s.c_str(), &end, 10);
    if (s.empty() || *end || v < 0 || v > 1000000) throw bad();
    return static_cast<size_t>(v);
  };
  auto get_u64 = [&]() {
    std::string s = get();
    char* end = nullptr;
    unsigned long long v = strtoull(s.c_str(), &end, 10);
    if (s.empty() || *end) throw bad();
    return static_cast<uint64_t>(v);
  };
  if (get() != kMagic) throw bad();
  LaunchInfo li;
  li.path = get();
  li.cwd = get();
  li.pid = static_cast<pid_t>(get_num());
  li.cpu = static_cast<int>(get_num());
  li.ignored_signals = get_u64();
  li.blocked_signals = get_u64();
  size_t argc = get_num();
  for (size_t i = 0; i < argc; ++i) li.argv.push_back(get());
  size_t envc = get_num();
  for (size_t i = 0; i < envc; ++i) li.envp.push_back(get());
  return li;
}

}  // namespace ckrr
