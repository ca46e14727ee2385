#include "plugins/FilesPlugin.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <cstring>

#include "core/Error.h"
#include "plugins/ProcMemWrites.h"
#include "plugins/StdStreams.h"

namespace ckrr {

namespace {

// Index of the path argument of a path-taking syscall, or -1.
int path_arg(int nr) {
  switch (nr) {
    case SYS_open:
    case SYS_creat:
    case SYS_stat:
    case SYS_lstat:
    case SYS_access:
    case SYS_readlink:
    case SYS_chdir:
    case SYS_mkdir:
    case SYS_rmdir:
    case SYS_unlink:
    case SYS_rename:
    case SYS_link:
    case SYS_chmod:
    case SYS_chown:
    case SYS_lchown:
    case SYS_truncate:
    case SYS_statfs:
    case SYS_mknod:
    case SYS_getxattr:
    case SYS_lgetxattr:
    case SYS_listxattr:
    case SYS_llistxattr:
    case SYS_utime:
    case SYS_utimes:
      return 0;
    case SYS_openat:
    case SYS_newfstatat:
    case SYS_statx:
    case SYS_faccessat:
    case SYS_faccessat2:
    case SYS_readlinkat:
    case SYS_mkdirat:
    case SYS_unlinkat:
    case SYS_renameat:
    case SYS_renameat2:
    case SYS_linkat:
    case SYS_fchmodat:
    case SYS_fchownat:
    case SYS_utimensat:
    case SYS_openat2:
    case SYS_mknodat:
    case SYS_symlink:
    case SYS_futimesat:
      return 1;
    case SYS_symlinkat:
      return 2;
  }
  return -1;
}

// The other path of calls that name two (the first is path_arg's): display only.
int second_path_arg(int nr) {
  switch (nr) {
    case SYS_rename:
    case SYS_link:
      return 1;
    case SYS_symlink:
    case SYS_symlinkat:
      return 0;
    case SYS_renameat:
    case SYS_renameat2:
    case SYS_linkat:
      return 3;
  }
  return -1;
}

bool is_write(int nr) {
  return nr == SYS_write || nr == SYS_pwrite64 || nr == SYS_writev || nr == SYS_pwritev ||
         nr == SYS_pwritev2;
}

bool is_open(int nr) {
  return nr == SYS_open || nr == SYS_openat || nr == SYS_openat2 || nr == SYS_creat;
}

}  // namespace

void capture_iovec(SyscallContext& ctx, uint64_t iov, uint64_t count, uint64_t total) {
  for (uint64_t i = 0; i < count && total > 0; ++i) {
    iovec v;
    if (!ctx.task.try_read(iov + i * sizeof v, &v, sizeof v)) break;
    uint64_t n = std::min<uint64_t>(v.iov_len, total);
    ctx.capture(reinterpret_cast<uint64_t>(v.iov_base), n);
    total -= n;
  }
}

std::vector<uint8_t> gather_iovec(Task& t, uint64_t iov, uint64_t count, uint64_t max) {
  std::vector<uint8_t> out;
  for (uint64_t i = 0; i < count && out.size() < max; ++i) {
    iovec v;
    if (!t.try_read(iov + i * sizeof v, &v, sizeof v)) break;
    uint64_t n = std::min<uint64_t>(v.iov_len, max - out.size());
    size_t at = out.size();
    out.resize(at + n);
    if (n && !t.try_read(reinterpret_cast<uint64_t>(v.iov_base), out.data() + at, n)) {
      out.resize(at);
      break;
    }
  }
  return out;
}

void FilesPlugin::record_entry(SyscallContext& ctx) {
  if (ctx.nr == SYS_pwrite64 && tracee_mem_write(ctx)) return;  // a debugger's breakpoint
  int pa = path_arg(ctx.nr);
  if (pa >= 0) ctx.event.add_text(blob::kPath, ctx.task.read_string(ctx.args[pa]));
  if (int pb = second_path_arg(ctx.nr); pb >= 0)
    ctx.event.add_text(blob::kPath2, ctx.task.read_string(ctx.args[pb]));
  if (ctx.nr == SYS_sendfile || ctx.nr == SYS_copy_file_range || ctx.nr == SYS_splice ||
      ctx.nr == SYS_tee) {
    int out_fd = static_cast<int>(ctx.nr == SYS_sendfile ? ctx.args[0]
                                  : ctx.nr == SYS_tee    ? ctx.args[1]
                                                         : ctx.args[2]);
    const FdEntry* e = ctx.proc.fd(out_fd);
    // The kernel would move the data to ckrr's own stdout without it passing through the app,
    // so replay could not show it. Refuse the fast path like the kernel does for unsupported
    // fd pairs: programs fall back to read/write.
    if (e && e->std_stream >= 0) {
      ctx.skip = true;
      ctx.forced_result = -EINVAL;
    }
  }
}

void FilesPlugin::record_exit(SyscallContext& ctx) {
  const uint64_t* a = ctx.args;
  int64_t r = ctx.result;
  if (!ctx.failed()) {
    switch (ctx.nr) {
      case SYS_pwrite64:
        capture_own_mem_write(ctx);
        break;
      case SYS_read:
      case SYS_pread64:
      case SYS_getdents:
      case SYS_getdents64:
        ctx.capture(a[1], r);
        break;
      case SYS_readv:
      case SYS_preadv:
      case SYS_preadv2:
        capture_iovec(ctx, a[1], a[2], r);
        break;
      case SYS_readlink:
        ctx.capture(a[1], r);
        break;
      case SYS_readlinkat:
        ctx.capture(a[2], r);
        break;
      case SYS_getcwd:
        ctx.capture(a[0], r);
        break;
      case SYS_stat:
      case SYS_fstat:
      case SYS_lstat:
        ctx.capture(a[1], 144);
        break;
      case SYS_newfstatat:
        ctx.capture(a[2], 144);
        break;
      case SYS_statx:
        ctx.capture(a[4], 256);
        break;
      case SYS_statfs:
      case SYS_fstatfs:
        ctx.capture(a[1], 120);
        break;
      case SYS_pipe:
      case SYS_pipe2:
        ctx.capture(a[0], 8);
        break;
      case SYS_fcntl:
        if (a[1] == F_GETLK || a[1] == F_OFD_GETLK) ctx.capture(a[2], 32);
        break;
      case SYS_getxattr:
      case SYS_lgetxattr:
      case SYS_fgetxattr:
        if (a[3] != 0) ctx.capture(a[2], r);
        break;
      case SYS_listxattr:
      case SYS_llistxattr:
      case SYS_flistxattr:
        if (a[2] != 0) ctx.capture(a[1], r);
        break;
      case SYS_sendfile:
        ctx.capture(a[2], 8);
        break;
      case SYS_copy_file_range:
        ctx.capture(a[1], 8);
        ctx.capture(a[3], 8);
        break;
    }
  }
  if (is_write(ctx.nr) && r > 0) {
    size_t keep = std::min<size_t>(r, kWriteDataKept);
    std::vector<uint8_t> data =
        (ctx.nr == SYS_writev || ctx.nr == SYS_pwritev || ctx.nr == SYS_pwritev2)
            ? gather_iovec(ctx.task, a[1], a[2], keep)
            : ctx.task.read_bytes(a[1], keep);
    ctx.event.add_blob(blob::kData, data.data(), data.size());
  }
  if (is_open(ctx.nr) && r >= 0) {
    // Opened by name but one of ckrr's own stdout/stderr (/dev/stdout, the redirected file):
    // replay echoes writes to it too. The open's event says which (kFdInfo: one byte, 1 or 2).
    int s = std_stream_of_fd(ctx.task.tid(), static_cast<int>(r));
    if (s > 0) {
      uint8_t b = static_cast<uint8_t>(s);
      ctx.event.add_blob(blob::kFdInfo, &b, 1);
    }
  }
  apply_fd_effects(ctx);
}

void FilesPlugin::replay_exit(SyscallContext& ctx) {
  ctx.result = ctx.event.result;
  if (is_write(ctx.nr) && ctx.result > 0) {
    const uint64_t* a = ctx.args;
    bool vec = ctx.nr == SYS_writev || ctx.nr == SYS_pwritev || ctx.nr == SYS_pwritev2;
    std::vector<uint8_t> data = vec ? gather_iovec(ctx.task, a[1], a[2], ctx.result)
                                    : ctx.task.read_bytes(a[1], ctx.result);
    if (const Blob* b = ctx.event.find_blob(blob::kData)) {
      size_t n = std::min(b->data.size(), data.size());
      if (n != b->data.size() || memcmp(b->data.data(), data.data(), n) != 0)
        throw Divergence(ctx.event.seq, ctx.event.tid, "the data written differs",
                         std::string(b->text().substr(0, 80)),
                         std::string(reinterpret_cast<const char*>(data.data()),
                                     std::min<size_t>(data.size(), 80)));
    }
    const FdEntry* e = ctx.proc.fd(static_cast<int>(a[0]));
    if (e && (e->std_stream == 1 || e->std_stream == 2))
      ctx.session.echo(e->std_stream, data.data(), data.size());
  }
  apply_fd_effects(ctx);
}

// The fd table follows the recorded results identically in record and replay.
void FilesPlugin::apply_fd_effects(SyscallContext& ctx) {
  const uint64_t* a = ctx.args;
  int64_t r = ctx.result;
  if (ctx.failed()) return;
  ProcessState& p = ctx.proc;
  auto path = [&]() {
    const Blob* b = ctx.event.find_blob(blob::kPath);
    return b ? std::string(b->text()) : std::string();
  };
  auto add = [&](int fd, FdEntry::Kind k, std::string name, bool cloexec) {
    FdEntry e;
    e.kind = k;
    e.path = std::move(name);
    e.cloexec = cloexec;
    const Blob* std_stream = ctx.event.find_blob(blob::kFdInfo);
    if (is_open(ctx.nr) && std_stream && std_stream->data.size() == 1)
      e.std_stream = std_stream->data[0];
    p.fds[fd] = e;
  };
  switch (ctx.nr) {
    case SYS_open:
      add(r, FdEntry::Kind::File, path(), a[1] & O_CLOEXEC);
      break;
    case SYS_openat:
      add(r, FdEntry::Kind::File, path(), a[2] & O_CLOEXEC);
      break;
    case SYS_openat2: {
      uint64_t flags = 0;
      ctx.task.try_read(a[2], &flags, sizeof flags);
      add(r, FdEntry::Kind::File, path(), flags & O_CLOEXEC);
      break;
    }
    case SYS_creat:
      add(r, FdEntry::Kind::File, path(), false);
      break;
    case SYS_close:
      p.close_fd(static_cast<int>(a[0]));
      break;
    case SYS_close_range:
      for (auto it = p.fds.lower_bound(static_cast<int>(a[0])); it != p.fds.end();) {
        if (static_cast<uint64_t>(it->first) > static_cast<uint32_t>(a[1])) break;
        if (a[2] & CLOSE_RANGE_CLOEXEC) {
          it->second.cloexec = true;
          ++it;
        } else {
          it = p.fds.erase(it);
        }
      }
      break;
    case SYS_dup:
      p.dup_fd(a[0], r, false);
      break;
    case SYS_dup2:
      if (a[0] != a[1]) p.dup_fd(a[0], a[1], false);
      break;
    case SYS_dup3:
      p.dup_fd(a[0], a[1], a[2] & O_CLOEXEC);
      break;
    case SYS_fcntl:
      if (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC)
        p.dup_fd(a[0], r, a[1] == F_DUPFD_CLOEXEC);
      else if (a[1] == F_SETFD) {
        auto it = p.fds.find(static_cast<int>(a[0]));
        if (it != p.fds.end()) it->second.cloexec = a[2] & FD_CLOEXEC;
      }
      break;
    case SYS_pipe:
    case SYS_pipe2: {
      int fds[2];
      if (ctx.task.try_read(a[0], fds, sizeof fds)) {
        bool ce = ctx.nr == SYS_pipe2 && (a[1] & O_CLOEXEC);
        add(fds[0], FdEntry::Kind::Pipe, "pipe:r", ce);
        add(fds[1], FdEntry::Kind::Pipe, "pipe:w", ce);
      }
      break;
    }
    case SYS_memfd_create:
      add(r, FdEntry::Kind::MemFd, "memfd:" + ctx.task.read_string(a[0], 256), a[1] & 1);
      break;
    case SYS_eventfd:
    case SYS_eventfd2:
      add(r, FdEntry::Kind::EventFd, "eventfd", ctx.nr == SYS_eventfd2 && (a[1] & O_CLOEXEC));
      break;
    case SYS_timerfd_create:
      add(r, FdEntry::Kind::Other, "timerfd", a[1] & O_CLOEXEC);
      break;
    case SYS_signalfd:
    case SYS_signalfd4:
      // Reading it is emulated like any read; it consumes signals instead of their delivery.
      if (static_cast<int>(a[0]) == -1)
        add(r, FdEntry::Kind::Other, "signalfd", ctx.nr == SYS_signalfd4 && (a[3] & O_CLOEXEC));
      break;
  }
}

}  // namespace ckrr
