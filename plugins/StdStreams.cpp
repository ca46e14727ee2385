#include "plugins/StdStreams.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace ckrr {

int std_stream_of_fd(pid_t tid, int fd) {
  struct stat opened {};
  const std::string link = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  if (stat(link.c_str(), &opened) != 0) return -1;
  for (int s = 1; s <= 2; ++s) {
    struct stat ours {};
    if (fstat(s, &ours) != 0 || ours.st_dev != opened.st_dev || ours.st_ino != opened.st_ino)
      continue;
    if (S_ISCHR(ours.st_mode) && !isatty(s)) continue;
    return s;
  }
  return -1;
}

}  // namespace ckrr
