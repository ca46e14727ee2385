// events.log writer. append() runs on the recorder's thread and only encodes; a background
// thread compresses, writes and indexes sealed chunks so the traced app is not held up by I/O.
#include "storage/EventLogWriter.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cstring>

#include "core/Error.h"
#include "storage/ChunkFormat.h"
#include "storage/Crc32.h"
#include "storage/FdIo.h"

namespace ckrr {

namespace {
constexpr int kZstdLevel = 1;  // the recorder's throughput matters more than the last few %
// Sealed chunks allowed to wait for the thread before append() blocks: bounds memory when the
// disk is slower than the app.
constexpr size_t kMaxQueued = 32;
}  // namespace

struct EventLogWriter::Pending {
  std::vector<uint8_t> raw;
  std::vector<EventRow> rows;
  uint64_t first_seq = 0;
};

EventLogWriter::EventLogWriter(const std::filesystem::path& file, TimelineIndex* index,
                               size_t chunk_bytes)
    : path_(file), index_(index), chunk_bytes_(chunk_bytes ? chunk_bytes : 1) {
  // Not O_TRUNC: the lock below must be taken before touching a file someone may be writing.
  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw Error(errno_text(path_.string(), errno));
  struct stat st;
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd_);
      fd_ = -1;
      if (err == EWOULDBLOCK) throw Error(path_.string() + ": another recorder is writing it");
      throw Error(errno_text(path_.string() + ": lock", err));
    }
    // Mode 0600 whatever the umask or a previous file's mode; the log holds the app's data.
    if (::fchmod(fd_, 0600) != 0 || ::ftruncate(fd_, 0) != 0) {
      int err = errno;
      ::close(fd_);
      fd_ = -1;
      throw Error(errno_text(path_.string(), err));
    }
  }
  uint8_t header[chunk::kFileHeaderSize];
  std::memcpy(header, chunk::kFileMagic, sizeof chunk::kFileMagic);
  header[7] = chunk::kFileVersion;
  if (int err = write_all(fd_, header, sizeof header)) {
    set_failed_locked(errno_text(path_.string() + ": write", err));
  } else {
    offset_ = bytes_written_ = sizeof header;
  }
  open_raw_.reserve(chunk_bytes_ + chunk_bytes_ / 4);
  // The compressing thread takes none of the process's signals: the supervisor's loop must be
  // the one they interrupt (SIGTERM to ckrr record, say).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

EventLogWriter::~EventLogWriter() {
  close();
}

void EventLogWriter::append(const Event& e) {
  std::unique_lock lk(mu_);
  if (failed_ || closed_) return;
  if (open_rows_.empty()) {
    open_first_seq_ = e.seq;
    open_since_ = std::chrono::steady_clock::now();
  }
  encode_event(e, open_raw_);
  EventRow& r = open_rows_.emplace_back();
  r.seq = e.seq;
  r.tid = e.tid;
  r.kind = e.kind;
  r.name = e.name();
  r.result = e.result;
  r.time_ns = e.time_ns;
  r.chunk_index = uint32_t(open_rows_.size() - 1);
  if (open_raw_.size() >= chunk_bytes_) {
    done_cv_.wait(lk, [&] { return queue_.size() < kMaxQueued || failed_; });
    seal_locked();
  }
}

void EventLogWriter::seal_locked() {
  if (open_rows_.empty()) return;
  auto* p = new Pending{std::move(open_raw_), std::move(open_rows_), open_first_seq_};
  open_raw_ = {};
  open_rows_ = {};
  open_raw_.reserve(chunk_bytes_ + chunk_bytes_ / 4);
  queue_.push_back(p);
  ++sealed_;
  cv_.notify_one();
}

void EventLogWriter::flush() {
  std::unique_lock lk(mu_);
  if (closed_) return;
  seal_locked();
  uint64_t target = sealed_;
  done_cv_.wait(lk, [&] { return written_ >= target; });
}

void EventLogWriter::close() {
  {
    std::lock_guard lk(mu_);
    if (closed_) return;
    closed_ = true;
    seal_locked();
    stop_ = true;
    cv_.notify_one();
  }
  // The thread drains the queue before it exits.
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    std::lock_guard lk(mu_);
    // EINVAL: not a file that can be synced (a pipe, /dev/full); nothing to lose there.
    if (!failed_ && ::fdatasync(fd_) != 0 && errno != EINVAL)
      set_failed_locked(errno_text(path_.string() + ": fdatasync", errno));
    ::close(fd_);
    fd_ = -1;
  }
}

bool EventLogWriter::failed() const {
  std::lock_guard lk(mu_);
  return failed_;
}

std::string EventLogWriter::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

uint64_t EventLogWriter::bytes_written() const {
  std::lock_guard lk(mu_);
  return bytes_written_;
}

void EventLogWriter::set_failed_locked(std::string msg) {
  if (failed_) return;  // keep the first error: it is the cause
  failed_ = true;
  error_ = std::move(msg);
  // Appends are dropped from now on; so is what is still open.
  open_raw_.clear();
  open_rows_.clear();
}

void EventLogWriter::run() {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  for (;;) {
    Pending* p = nullptr;
    bool skip = false;
    {
      std::unique_lock lk(mu_);
      // A chunk also seals when it is old, so that a recorder killed while the app is slow or
      // blocked still leaves its recent events readable.
      while (!stop_ && queue_.empty()) {
        if (cv_.wait_for(lk, kMaxChunkAge) == std::cv_status::timeout && !open_rows_.empty() &&
            std::chrono::steady_clock::now() - open_since_ >= kMaxChunkAge)
          seal_locked();
      }
      if (queue_.empty()) break;
      p = queue_.front();
      queue_.pop_front();
      skip = failed_;
    }
    std::string err;
    if (!skip) {
      try {
        err = ctx ? write_chunk(*p, ctx) : path_.string() + ": cannot create a zstd context";
      } catch (const std::exception& e) {
        err = e.what();
      } catch (...) {
        err = path_.string() + ": unknown error while writing a chunk";
      }
    }
    delete p;
    std::lock_guard lk(mu_);
    if (!err.empty()) set_failed_locked(std::move(err));
    ++written_;
    done_cv_.notify_all();
  }
  ZSTD_freeCCtx(ctx);
}

std::string EventLogWriter::write_chunk(Pending& p, void* zstd_ctx) {
  std::vector<uint8_t> frame(chunk::kHeaderSize + ZSTD_compressBound(p.raw.size()));
  size_t clen =
      ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(zstd_ctx), frame.data() + chunk::kHeaderSize,
                        frame.size() - chunk::kHeaderSize, p.raw.data(), p.raw.size(), kZstdLevel);
  if (ZSTD_isError(clen)) return path_.string() + ": zstd: " + ZSTD_getErrorName(clen);
  if (clen > UINT32_MAX || p.raw.size() > chunk::kMaxRawLen)
    return path_.string() + ": chunk too large (" + std::to_string(p.raw.size()) + " bytes)";

  uint8_t* h = frame.data();
  chunk::put_u32(h + chunk::kOffMagic, chunk::kMagic);
  chunk::put_u32(h + chunk::kOffCompressedLen, uint32_t(clen));
  chunk::put_u32(h + chunk::kOffRawLen, uint32_t(p.raw.size()));
  chunk::put_u32(h + chunk::kOffCount, uint32_t(p.rows.size()));
  chunk::put_u64(h + chunk::kOffFirstSeq, p.first_seq);
  chunk::put_u32(h + chunk::kOffDataCrc, crc32(h + chunk::kHeaderSize, clen));
  chunk::put_u32(h + chunk::kOffHeaderCrc, crc32(h, chunk::kOffHeaderCrc));

  size_t len = chunk::kHeaderSize + clen;
  if (int err = write_all(fd_, frame.data(), len)) {
    // Cut a partial frame off so the log ends on a whole chunk (a reader would cope anyway).
    // Best effort: fails harmlessly on a device or a vanished disk.
    [[maybe_unused]] int rc = ::ftruncate(fd_, off_t(offset_));
    return errno_text(path_.string() + ": write", err);
  }
  uint64_t chunk_offset = offset_;
  offset_ += len;
  {
    std::lock_guard lk(mu_);
    bytes_written_ += len;
  }
  if (index_) {
    for (EventRow& r : p.rows) r.chunk_offset = chunk_offset;
    index_->add_events(p.rows);
  }
  return "";
}

}  // namespace ckrr
