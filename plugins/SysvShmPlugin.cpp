#include "plugins/SysvShmPlugin.h"

#include <errno.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include <cstring>

#include "core/Error.h"
#include "core/MemoryMap.h"
#include "core/RemoteSyscall.h"

namespace ckrr {

namespace {
constexpr long kIpc64 = 0x100;

uint64_t segment_size(int id) {
  struct shmid_ds ds {};
  return shmctl(id, IPC_STAT, &ds) == 0 ? ds.shm_segsz : 0;
}
}  // namespace

SysvShmPlugin::~SysvShmPlugin() {
  // Replay's segments live in the system's IPC namespace: leave none behind.
  for (const auto& [rec, real] : replay_ids_) shmctl(real, IPC_RMID, nullptr);
}

void SysvShmPlugin::record_exit(SyscallContext& ctx) {
  if (ctx.failed()) {
    if (ctx.nr == SYS_shmat) ctx.event.mode = ReplayMode::Emulate;  // the same error, emulated
    return;
  }
  const uint64_t* a = ctx.args;
  const int id = static_cast<int>(ctx.nr == SYS_shmget ? ctx.result : static_cast<int64_t>(a[0]));
  switch (ctx.nr) {
    case SYS_shmget: {
      struct shmid_ds ds {};
      // Created by this call when the creator is the caller (its size is then what replay makes).
      if (shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_cpid == ctx.task.tgid()) created_.insert(id);
      uint64_t size = ds.shm_segsz;
      ctx.event.add_blob(blob::kFdInfo, &size, sizeof size);
      break;
    }
    case SYS_shmat: {
      uint64_t size = segment_size(id);
      ctx.event.add_blob(blob::kFdInfo, &size, sizeof size);
      // The segment's bytes, except at the first attach of one the recording created (zeros):
      // one made outside holds data replay cannot know, and replay from a checkpoint has no
      // segment for an id attached before it (its copy was restored as plain shared memory).
      if (!created_.count(id) || attached_.count(id))
        ctx.capture(static_cast<uint64_t>(ctx.result), size);
      attached_.insert(id);
      break;
    }
    case SYS_shmctl:
      switch (static_cast<long>(a[1]) & ~kIpc64) {
        case IPC_STAT:
        case SHM_STAT:
        case SHM_STAT_ANY:
          ctx.capture(a[2], sizeof(struct shmid_ds));
          break;
        case IPC_INFO:
          ctx.capture(a[2], sizeof(struct shminfo));
          break;
        case SHM_INFO:
          ctx.capture(a[2], sizeof(struct shm_info));
          break;
      }
      break;
  }
}

int SysvShmPlugin::replay_segment(SyscallContext& ctx, int recorded_id, uint64_t size) {
  auto it = replay_ids_.find(recorded_id);
  if (it != replay_ids_.end()) return it->second;
  int real = shmget(IPC_PRIVATE, size ? size : 1, IPC_CREAT | 0600);
  if (real < 0)
    throw Error("replay: cannot create a SysV shared memory segment of " + std::to_string(size) +
                " bytes for event " + std::to_string(ctx.event.seq) + ": " + std::strerror(errno));
  replay_ids_[recorded_id] = real;
  return real;
}

void SysvShmPlugin::replay_entry(SyscallContext& ctx) {
  const Blob* b = ctx.event.find_blob(blob::kFdInfo);
  uint64_t size = 0;
  if (b && b->data.size() == sizeof size) std::memcpy(&size, b->data.data(), sizeof size);
  if (ctx.nr == SYS_shmget && ctx.event.result >= 0) {
    replay_segment(ctx, static_cast<int>(ctx.event.result), size);
    return;  // emulated: the app gets the recorded id
  }
  if (ctx.nr == SYS_shmdt && ctx.event.result == 0) {
    // Restored from a checkpoint, an attached segment is plain shared memory: shmdt refuses it,
    // so it is unmapped instead, as the kernel's detach would have.
    ctx.handled = true;
    Task& t = ctx.task;
    ctx.session.finish_skipped(t);
    long r = remote_syscall(t, SYS_shmdt, {ctx.args[0]});
    if (r == -EINVAL)
      for (const Mapping& m : read_memory_map(t.tid()))
        if (m.start == ctx.args[0] && m.shared)
          r = remote_syscall(t, SYS_munmap, {m.start, m.size()});
    if (r != 0)
      throw Divergence(ctx.event.seq, ctx.event.tid, "shmdt result differs", "0",
                       std::to_string(r));
    Registers regs = t.regs();
    regs.rax = 0;
    t.set_regs(regs);
    return;
  }
  if (ctx.nr != SYS_shmat || ctx.event.result < 0) return;
  ctx.handled = true;
  Task& t = ctx.task;
  int real = replay_segment(ctx, static_cast<int>(ctx.args[0]), size);
  ctx.session.finish_skipped(t);
  long r = remote_syscall(t, SYS_shmat, {uint64_t(real), ctx.args[1], ctx.args[2]});
  ctx.expect_recorded_address(r, "shmat");
  ctx.write_recorded_memory();
  Registers regs = t.regs();
  regs.rax = static_cast<uint64_t>(r);
  t.set_regs(regs);
}

void SysvShmPlugin::save_state(std::vector<uint8_t>& out) const {
  // created_ then attached_, each as a count and ids.
  out.clear();
  for (const std::set<int>* set : {&created_, &attached_}) {
    uint32_t n = static_cast<uint32_t>(set->size());
    const uint8_t* b = reinterpret_cast<const uint8_t*>(&n);
    out.insert(out.end(), b, b + 4);
    for (int id : *set) {
      b = reinterpret_cast<const uint8_t*>(&id);
      out.insert(out.end(), b, b + 4);
    }
  }
}

void SysvShmPlugin::restore_state(const std::vector<uint8_t>& in) {
  size_t at = 0;
  for (std::set<int>* set : {&created_, &attached_}) {
    set->clear();
    uint32_t n = 0;
    if (at + 4 > in.size()) return;
    std::memcpy(&n, &in[at], 4);
    at += 4;
    for (uint32_t i = 0; i < n && at + 4 <= in.size(); ++i, at += 4) {
      int id;
      std::memcpy(&id, &in[at], 4);
      set->insert(id);
    }
  }
}

}  // namespace ckrr
