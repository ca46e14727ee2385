#include "checkpoint/ProcFiles.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/Error.h"

namespace ckrr {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string link_target(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

void read_proc_files(pid_t pid, CheckpointManifest& m) {
  const std::string proc = "/proc/" + std::to_string(pid);
  std::string stat = slurp(proc + "/stat");
  // The name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) throw Error("cannot read " + proc + "/stat");
  std::istringstream in(stat.substr(paren + 2));
  std::vector<std::string> f(3);  // f[n] is field n (1-based); fields 1-2 are not in `in`
  for (std::string w; in >> w;) f.push_back(w);
  if (f.size() <= 51) throw Error("unexpected format of " + proc + "/stat");
  auto u = [&](size_t n) { return std::strtoull(f[n].c_str(), nullptr, 10); };
  m.mm.start_code = u(26);
  m.mm.end_code = u(27);
  m.mm.start_stack = u(28);
  m.mm.start_data = u(45);
  m.mm.end_data = u(46);
  m.mm.start_brk = u(47);
  m.mm.arg_start = u(48);
  m.mm.arg_end = u(49);
  m.mm.env_start = u(50);
  m.mm.env_end = u(51);

  std::string auxv = slurp(proc + "/auxv");
  m.auxv.assign(auxv.begin(), auxv.end());
  m.cwd = link_target(proc + "/cwd");
  m.exe = link_target(proc + "/exe");
  m.comm = slurp(proc + "/comm");
  if (!m.comm.empty() && m.comm.back() == '\n') m.comm.pop_back();

  m.fds.clear();
  if (DIR* d = ::opendir((proc + "/fd").c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      SavedFd fd;
      fd.fd = std::atoi(e->d_name);
      fd.path = link_target(proc + "/fd/" + e->d_name);
      std::istringstream info(slurp(proc + "/fdinfo/" + e->d_name));
      for (std::string key; info >> key;) {
        std::string val;
        info >> val;
        if (key == "pos:") fd.pos = std::strtoull(val.c_str(), nullptr, 10);
        if (key == "flags:") fd.flags = static_cast<int32_t>(std::strtol(val.c_str(), nullptr, 8));
        std::getline(info, val);
      }
      m.fds.push_back(std::move(fd));
    }
    ::closedir(d);
  }
  std::sort(m.fds.begin(), m.fds.end(),
            [](const SavedFd& a, const SavedFd& b) { return a.fd < b.fd; });
}

}  // namespace ckrr
