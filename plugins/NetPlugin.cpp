#include "plugins/NetPlugin.h"

#include <sys/socket.h>
#include <sys/syscall.h>

#include "plugins/FilesPlugin.h"

namespace ckrr {

void NetPlugin::record_entry(SyscallContext&) {}

void NetPlugin::record_exit(SyscallContext& ctx) {
  const uint64_t* a = ctx.args;
  int64_t r = ctx.result;
  if (!ctx.failed()) {
    switch (ctx.nr) {
      case SYS_accept:
      case SYS_accept4:
      case SYS_getsockname:
      case SYS_getpeername:
        if (a[2]) {
          uint32_t len = ctx.task.read_val<uint32_t>(a[2]);
          ctx.capture(a[2], 4);
          ctx.capture(a[1], std::min<uint32_t>(len, 128));
        }
        break;
      case SYS_recvfrom:
        ctx.capture(a[1], r);
        if (a[5]) {
          uint32_t len = ctx.task.read_val<uint32_t>(a[5]);
          ctx.capture(a[5], 4);
          ctx.capture(a[4], std::min<uint32_t>(len, 128));
        }
        break;
      case SYS_recvmsg: {
        msghdr m;
        ctx.task.read(a[1], &m, sizeof m);
        capture_iovec(ctx, reinterpret_cast<uint64_t>(m.msg_iov), m.msg_iovlen, r);
        ctx.capture(reinterpret_cast<uint64_t>(m.msg_name), m.msg_namelen);
        ctx.capture(reinterpret_cast<uint64_t>(m.msg_control), m.msg_controllen);
        ctx.capture(a[1], sizeof m);  // namelen, controllen and flags were updated
        break;
      }
      case SYS_socketpair:
        ctx.capture(a[3], 8);
        break;
      case SYS_sendmmsg:  // the kernel writes each sent message's msg_len
        for (int64_t i = 0; i < r; ++i) ctx.capture(a[1] + i * sizeof(mmsghdr) + sizeof(msghdr), 4);
        break;
      case SYS_recvmmsg:
        for (int64_t i = 0; i < r; ++i) {
          mmsghdr mm;
          uint64_t at = a[1] + i * sizeof mm;
          ctx.task.read(at, &mm, sizeof mm);
          const msghdr& m = mm.msg_hdr;
          capture_iovec(ctx, reinterpret_cast<uint64_t>(m.msg_iov), m.msg_iovlen, mm.msg_len);
          ctx.capture(reinterpret_cast<uint64_t>(m.msg_name), m.msg_namelen);
          ctx.capture(reinterpret_cast<uint64_t>(m.msg_control), m.msg_controllen);
          ctx.capture(at, sizeof mm);  // namelen, controllen, flags and msg_len were updated
        }
        break;
      case SYS_getsockopt:
        if (a[4]) {
          uint32_t len = ctx.task.read_val<uint32_t>(a[4]);
          ctx.capture(a[4], 4);
          ctx.capture(a[3], len);
        }
        break;
    }
  }
  if ((ctx.nr == SYS_sendto || ctx.nr == SYS_sendmsg) && r > 0) {
    size_t keep = std::min<size_t>(r, FilesPlugin::kWriteDataKept);
    std::vector<uint8_t> data;
    if (ctx.nr == SYS_sendto) {
      data = ctx.task.read_bytes(a[1], keep);
    } else {
      msghdr m;
      ctx.task.read(a[1], &m, sizeof m);
      data = gather_iovec(ctx.task, reinterpret_cast<uint64_t>(m.msg_iov), m.msg_iovlen, keep);
    }
    ctx.event.add_blob(blob::kData, data.data(), data.size());
  }
  apply_fd_effects(ctx);
}

void NetPlugin::replay_exit(SyscallContext& ctx) {
  ctx.result = ctx.event.result;
  apply_fd_effects(ctx);
}

void NetPlugin::apply_fd_effects(SyscallContext& ctx) {
  if (ctx.failed()) return;
  auto add = [&](int fd, bool cloexec) {
    FdEntry e;
    e.kind = FdEntry::Kind::Socket;
    e.path = "socket";
    e.cloexec = cloexec;
    ctx.proc.fds[fd] = e;
  };
  const uint64_t* a = ctx.args;
  switch (ctx.nr) {
    case SYS_socket:
      add(ctx.result, a[1] & SOCK_CLOEXEC);
      break;
    case SYS_accept:
      add(ctx.result, false);
      break;
    case SYS_accept4:
      add(ctx.result, a[3] & SOCK_CLOEXEC);
      break;
    case SYS_socketpair: {
      int fds[2];
      if (ctx.task.try_read(a[3], fds, sizeof fds)) {
        add(fds[0], a[1] & SOCK_CLOEXEC);
        add(fds[1], a[1] & SOCK_CLOEXEC);
      }
      break;
    }
  }
}

}  // namespace ckrr
