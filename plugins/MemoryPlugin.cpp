#include "plugins/MemoryPlugin.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/Error.h"
#include "core/RemoteSyscall.h"
#include "storage/FileStore.h"

namespace ckrr {

namespace {
constexpr uint16_t kDevZero = 1;  // args-independent marker blob content
// A mapping of something that is not a file: replay maps anonymous memory with the bytes the
// app could see at the time. Later changes made by the device (a perf ring, a KVM run area)
// are not recorded: such calls are named in `ckrr info`.
constexpr uint16_t kDeviceCopy = 2;
}  // namespace

void MemoryPlugin::record_entry(SyscallContext& ctx) {
  if (ctx.nr != SYS_mmap) return;
  uint64_t flags = ctx.args[3];
  int fd = static_cast<int>(ctx.args[4]);
  if ((flags & MAP_ANONYMOUS) || fd < 0) return;
  std::string link = "/proc/" + std::to_string(ctx.task.tid()) + "/fd/" + std::to_string(fd);
  std::error_code ec;
  std::string target = std::filesystem::read_symlink(link, ec).string();
  int local = open(link.c_str(), O_RDONLY | O_CLOEXEC);
  if (local < 0) {
    // A bad fd fails the same way in replay (EBADF emulated). An fd that cannot be opened
    // again (an anonymous inode: a perf buffer, a KVM vcpu) is copied like a device.
    if (!ec) {
      ctx.event.add_text(blob::kPath, target);
      ctx.event.add_blob(blob::kFdInfo, &kDeviceCopy, 1);
    }
    return;
  }
  struct stat st;
  fstat(local, &st);
  ctx.event.add_text(blob::kPath, target);
  if (S_ISREG(st.st_mode)) {
    if ((flags & MAP_SHARED) && (ctx.args[2] & PROT_WRITE)) {
      uint64_t id[2] = {st.st_dev, st.st_ino};
      ctx.event.add_blob(blob::kFileId, id, sizeof id);
    }
    std::string base = std::filesystem::path(target).filename().string();
    if (base.empty() || base.find(' ') != std::string::npos) base = "file";
    std::string stored = ctx.session.file_store()->save_fd(local, base);
    ctx.event.add_text(blob::kStoredFile, stored);
    ctx.session.note_mapped_file(target, stored, st.st_size);
  } else if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 5) {
    ctx.event.add_blob(blob::kFdInfo, &kDevZero, 1);  // /dev/zero: anonymous memory
  } else {
    // A device, FIFO, perf buffer...: if the kernel refuses (a FIFO), the error is replayed;
    // if it maps, replay maps anonymous memory holding what was there (record_exit).
    ctx.event.add_blob(blob::kFdInfo, &kDeviceCopy, 1);
  }
  close(local);
}

void MemoryPlugin::record_exit(SyscallContext& ctx) {
  if (ctx.failed()) ctx.event.mode = ReplayMode::Emulate;  // the same error, whatever replay has
  const Blob* info = ctx.event.find_blob(blob::kFdInfo);
  if (ctx.nr == SYS_mmap && !ctx.failed() && info && info->data.size() == 1 &&
      info->data[0] == kDeviceCopy) {
    const Blob* path = ctx.event.find_blob(blob::kPath);
    ctx.session.note_conservative("mmap of " + std::string(path ? path->text() : "a device"));
    if (ctx.args[2] & PROT_READ) ctx.capture(static_cast<uint64_t>(ctx.result), ctx.args[1]);
  }
  if (ctx.nr == SYS_mincore && !ctx.failed()) ctx.capture(ctx.args[2], (ctx.args[1] + 4095) / 4096);
}

MemoryPlugin::~MemoryPlugin() {
  for (const auto& [id, fd] : shared_copies_) close(fd);
}

void MemoryPlugin::replay_entry(SyscallContext& ctx) {
  if (ctx.nr != SYS_mmap || ctx.event.mode != ReplayMode::Reexecute) return;
  const Blob* stored = ctx.event.find_blob(blob::kStoredFile);
  const Blob* devzero = ctx.event.find_blob(blob::kFdInfo);
  if (!stored && !devzero) return;  // anonymous: re-executed as is
  ctx.handled = true;
  Task& t = ctx.task;
  ctx.session.finish_skipped(t);
  const uint64_t* a = ctx.args;
  uint64_t addr = static_cast<uint64_t>(ctx.event.result);
  uint64_t flags = (a[3] & ~uint64_t(MAP_SHARED | MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE)) |
                   MAP_PRIVATE | MAP_FIXED;
  long r;
  const bool shared_writable = stored && (a[3] & MAP_SHARED) && (a[2] & PROT_WRITE);
  if (shared_writable) {
    // One shared copy per recorded file: made in the first process that maps it, then held
    // by ckrr so that every later mapping of the file, in any process, maps the same copy.
    std::string path = ctx.session.stored_file_path(std::string(stored->text()));
    const Blob* idb = ctx.event.find_blob(blob::kFileId);
    std::pair<uint64_t, uint64_t> id{0, 0};
    if (idb && idb->data.size() == 16) {
      std::memcpy(&id.first, idb->data.data(), 8);
      std::memcpy(&id.second, idb->data.data() + 8, 8);
    }
    auto held = idb ? shared_copies_.find(id) : shared_copies_.end();
    long fd;
    int out;
    if (held == shared_copies_.end()) {
      uint64_t name = stage_string(t, "ckrr-shared");
      fd = remote_syscall(t, SYS_memfd_create, {name, uint64_t(MFD_CLOEXEC)});
      if (fd < 0) throw Error("replay: memfd_create in the process failed");
      std::string via = "/proc/" + std::to_string(t.tid()) + "/fd/" + std::to_string(fd);
      out = open(via.c_str(), O_RDWR | O_CLOEXEC);
      if (out < 0) throw Error("replay: cannot open the shared copy of " + path);
      if (idb) shared_copies_[id] = out;
    } else {
      out = held->second;
      std::string via = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(out);
      fd = remote_syscall(t, SYS_openat,
                          {uint64_t(AT_FDCWD), stage_string(t, via), O_RDWR | O_CLOEXEC});
      if (fd < 0) throw Error("replay: the process cannot open the shared copy of " + path);
    }
    // The file's bytes at this mapping, as recorded: writes the app made with write() while
    // it was mapped (emulated in replay) are in the saved copy, and in the copy from now on.
    int in = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) throw Error("replay: cannot copy " + path + " for a shared mapping");
    char buf[65536], cur[65536];
    ssize_t n;
    off_t at = 0;
    while ((n = read(in, buf, sizeof buf)) > 0) {
      if (pread(out, cur, n, at) != n || std::memcmp(buf, cur, n) != 0)
        if (pwrite(out, buf, n, at) != n) throw Error("replay: copying " + path + " failed");
      at += n;
    }
    close(in);
    struct stat ost;
    fstat(out, &ost);
    uint64_t need = std::max<uint64_t>(at, a[5] + a[1]);
    if (static_cast<uint64_t>(ost.st_size) < need && ftruncate(out, need) != 0)
      throw Error("replay: sizing the shared copy of " + path + " failed");
    if (!idb) close(out);
    uint64_t sflags =
        (a[3] & ~uint64_t(MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE)) | MAP_SHARED | MAP_FIXED;
    r = remote_syscall(t, SYS_mmap, {addr, a[1], a[2], sflags, uint64_t(fd), a[5]});
    remote_syscall(t, SYS_close, {uint64_t(fd)});
  } else if (stored) {
    std::string path = ctx.session.stored_file_path(std::string(stored->text()));
    uint64_t p = stage_string(t, path);
    long fd = remote_syscall(t, SYS_openat, {uint64_t(AT_FDCWD), p, O_RDONLY | O_CLOEXEC});
    if (fd < 0) throw Error("replay: cannot open saved file " + path + " in the process");
    r = remote_syscall(t, SYS_mmap, {addr, a[1], a[2], flags, uint64_t(fd), a[5]});
    remote_syscall(t, SYS_close, {uint64_t(fd)});
  } else {
    const bool copy = devzero->data.size() == 1 && devzero->data[0] == kDeviceCopy;
    // The copy's bytes go in before the app's protection applies.
    r = remote_syscall(t, SYS_mmap,
                       {addr, a[1], copy ? uint64_t(PROT_READ | PROT_WRITE) : a[2],
                        flags | MAP_ANONYMOUS, uint64_t(-1), 0});
    if (copy && r == ctx.event.result) {
      ctx.write_recorded_memory();
      remote_syscall(t, SYS_mprotect, {addr, a[1], a[2]});
    }
  }
  ctx.expect_recorded_address(r, "mmap");
  Registers regs = t.regs();
  regs.rax = addr;
  t.set_regs(regs);
}

}  // namespace ckrr
