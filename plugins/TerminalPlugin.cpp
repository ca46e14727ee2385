#include "plugins/TerminalPlugin.h"

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>

#include <cstdio>

#include "plugins/ConservativeCapture.h"

namespace ckrr {

namespace {

struct IoctlInfo {
  unsigned long request;
  const char* name;
  unsigned out_bytes;  // bytes the kernel writes at arg 2 on success
};

// struct termios as the kernel copies it for TCGETS is 36 bytes; termios2 44.
constexpr IoctlInfo kKnown[] = {
    {TCGETS, "TCGETS", 36},
    {TCSETS, "TCSETS", 0},
    {TCSETSW, "TCSETSW", 0},
    {TCSETSF, "TCSETSF", 0},
    {0x802c542a, "TCGETS2", 44},
    {TIOCGWINSZ, "TIOCGWINSZ", 8},
    {TIOCSWINSZ, "TIOCSWINSZ", 0},
    {TIOCGPGRP, "TIOCGPGRP", 4},
    {TIOCSPGRP, "TIOCSPGRP", 0},
    {TIOCGSID, "TIOCGSID", 4},
    {FIONREAD, "FIONREAD", 4},
    {FIONBIO, "FIONBIO", 0},
    {FIOASYNC, "FIOASYNC", 0},
    {FIOCLEX, "FIOCLEX", 0},
    {FIONCLEX, "FIONCLEX", 0},
    {TCFLSH, "TCFLSH", 0},
    {TCXONC, "TCXONC", 0},
    {TCSBRK, "TCSBRK", 0},
    {TIOCOUTQ, "TIOCOUTQ", 4},
    {TIOCGPTN, "TIOCGPTN", 4},
    {TIOCSCTTY, "TIOCSCTTY", 0},
    {TIOCNOTTY, "TIOCNOTTY", 0},
    {TIOCGETD, "TIOCGETD", 4},
    {TIOCGLCKTRMIOS, "TIOCGLCKTRMIOS", 36},
    {0x80086601, "FS_IOC_GETFLAGS", 8},
    {0x80081272, "BLKGETSIZE64", 8},
    // cp and others try a reflink first; the recorded answer (usually EXDEV/EOPNOTSUPP) decides
    // what they do next, and replay gives the same answer.
    {0x40049409, "FICLONE", 0},
    {0x4020940d, "FICLONERANGE", 0},
};

const IoctlInfo* find(unsigned long req) {
  for (const IoctlInfo& i : kKnown)
    if (i.request == req) return &i;
  return nullptr;
}

}  // namespace

// An ioctl ckrr has no description of runs as it would natively. Its _IOC encoding says, by
// convention, how many bytes the kernel writes at the argument (_IOC_READ); a request without
// a direction may be an old one that writes anyway (TCGETS is 0x5401), so it is recorded
// conservatively. Both are named in `ckrr info`.
namespace {
bool writes_by_encoding(unsigned long req) {
  return (_IOC_DIR(req) & _IOC_READ) && _IOC_SIZE(req);
}
}  // namespace

void TerminalPlugin::record_entry(SyscallContext& ctx) {
  unsigned long req = static_cast<unsigned int>(ctx.args[1]);
  if (find(req)) return;
  int fd = static_cast<int>(ctx.args[0]);
  const FdEntry* e = ctx.proc.fd(fd);
  char buf[200];
  snprintf(buf, sizeof buf, "ioctl 0x%lx on %s", req,
           e ? e->path.c_str() : "an fd ckrr did not see opened");
  if (_IOC_DIR(req) == _IOC_NONE)
    ConservativeCapture::before(ctx, buf);
  else
    ctx.session.note_conservative(std::string(buf) + " (by its encoding)");
}

void TerminalPlugin::record_exit(SyscallContext& ctx) {
  unsigned long req = static_cast<unsigned int>(ctx.args[1]);
  const IoctlInfo* i = find(req);
  if (!ctx.failed() && i && i->out_bytes) ctx.capture(ctx.args[2], i->out_bytes);
  if (!ctx.failed() && !i && writes_by_encoding(req)) ctx.capture(ctx.args[2], _IOC_SIZE(req));
  if (!ctx.failed()) replay_exit(ctx);
}

void TerminalPlugin::replay_exit(SyscallContext& ctx) {
  if (ctx.event.result < 0) return;
  unsigned long req = static_cast<unsigned int>(ctx.args[1]);
  auto it = ctx.proc.fds.find(static_cast<int>(ctx.args[0]));
  if (it == ctx.proc.fds.end()) return;
  if (req == FIOCLEX) it->second.cloexec = true;
  if (req == FIONCLEX) it->second.cloexec = false;
}

}  // namespace ckrr
