#include "gui/models/CodeLocator.h"

#include <elf.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "gui/models/EventSource.h"
#include "gui/models/TraceDb.h"

namespace ckrr::gui {
namespace {

constexpr size_t kBefore = 160, kAfter = 160;

bool readAt(std::ifstream& f, uint64_t off, void* dst, size_t n) {
  f.seekg(static_cast<std::streamoff>(off));
  f.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
  return static_cast<size_t>(f.gcount()) == n;
}

std::optional<CodeWindow> readFileWindow(const std::string& file, uint64_t file_off,
                                         uint64_t seg_file_begin, uint64_t seg_file_end,
                                         uint64_t ip) {
  std::ifstream f(file, std::ios::binary);
  if (!f) return std::nullopt;
  const uint64_t lo = std::max(seg_file_begin, file_off >= kBefore ? file_off - kBefore : 0);
  const uint64_t hi = std::min(seg_file_end, file_off + kAfter);
  if (hi <= lo) return std::nullopt;
  CodeWindow w;
  w.bytes.resize(hi - lo);
  f.seekg(static_cast<std::streamoff>(lo));
  f.read(reinterpret_cast<char*>(w.bytes.data()), static_cast<std::streamsize>(w.bytes.size()));
  w.bytes.resize(static_cast<size_t>(std::max<std::streamsize>(f.gcount(), 0)));
  if (w.bytes.empty()) return std::nullopt;
  w.base = ip - (file_off - lo);
  return w;
}

struct ElfInfo {
  uint16_t type = 0;
  std::optional<uint64_t> phdr_vaddr;  // PT_PHDR: where the program headers are mapped
  std::string interp;                  // PT_INTERP: the dynamic loader's path
};

ElfInfo elfInfo(const std::string& file) {
  ElfInfo out;
  std::ifstream f(file, std::ios::binary);
  Elf64_Ehdr eh;
  if (!readAt(f, 0, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return out;
  out.type = eh.e_type;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!readAt(f, eh.e_phoff + uint64_t{i} * eh.e_phentsize, &ph, sizeof ph)) break;
    if (ph.p_type == PT_PHDR) out.phdr_vaddr = ph.p_vaddr;
    if (ph.p_type == PT_INTERP && ph.p_filesz > 1 && ph.p_filesz < 4096) {
      std::string s(ph.p_filesz, '\0');
      if (readAt(f, ph.p_offset, s.data(), s.size())) out.interp = s.c_str();  // drop the NUL
    }
  }
  return out;
}

}  // namespace

std::optional<CodeWindow> readElfCode(const std::string& file, uint64_t load_bias, uint64_t ip,
                                      std::string* why) {
  std::ifstream f(file, std::ios::binary);
  if (!f) {
    if (why) *why = file + ": cannot open";
    return std::nullopt;
  }
  Elf64_Ehdr eh;
  if (!readAt(f, 0, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64) {
    if (why) *why = file + ": not a 64-bit ELF file";
    return std::nullopt;
  }
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!readAt(f, eh.e_phoff + uint64_t{i} * eh.e_phentsize, &ph, sizeof ph)) break;
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    const uint64_t va = load_bias + ph.p_vaddr;
    if (ip < va || ip >= va + ph.p_filesz) continue;
    auto w =
        readFileWindow(file, ph.p_offset + (ip - va), ph.p_offset, ph.p_offset + ph.p_filesz, ip);
    if (w) return w;
  }
  if (why) *why = file + ": no executable segment covers the address";
  return std::nullopt;
}

CodeLocator::CodeLocator(const TraceDb* db, EventSource* events) : db_(db), events_(events) {}

std::optional<std::string> CodeLocator::storedCopy(const std::string& path) const {
  // The recorded path may go through a symlink (/bin -> usr/bin) that mapped_files resolved;
  // resolving it here assumes the same filesystem layout, which holds on the recording machine.
  std::error_code ec;
  const std::string canon = std::filesystem::weakly_canonical(path, ec).string();
  for (const auto& m : db_->mappedFiles())
    if (m.path == path || (!ec && m.path == canon))
      return (events_->traceDir() / m.stored).string();
  // The recorder also names the first program and its loader in meta.
  for (const char* key : {"exe", "interp"}) {
    auto v = db_->meta(key);
    if (v && (*v == path || (!ec && *v == canon)))
      if (auto stored = db_->meta(std::string(key) + "_stored"))
        return (events_->traceDir() / *stored).string();
  }
  return std::nullopt;
}

std::optional<CodeWindow> CodeLocator::locate(uint64_t ip, uint64_t seq, std::string* why) {
  if (!db_ || !events_) return std::nullopt;
  if (auto w = fromMmaps(ip, seq)) return w;
  return fromExecutable(ip, seq, why);
}

std::optional<CodeWindow> CodeLocator::fromExecutable(uint64_t ip, uint64_t seq, std::string* why) {
  // The latest exec at or before seq names the running image.
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_->handle(),
                     "SELECT seq FROM events WHERE kind=4 AND seq<=? ORDER BY seq DESC LIMIT 1", -1,
                     &st, nullptr);
  sqlite3_bind_int64(st, 1, static_cast<int64_t>(seq));
  std::optional<uint64_t> exec_seq;
  if (sqlite3_step(st) == SQLITE_ROW) exec_seq = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  if (!exec_seq) {
    if (why) *why = "no exec event before this point";
    return std::nullopt;
  }
  std::string err;
  auto ev = events_->load(*exec_seq, &err);
  const Blob* path = ev ? ev->find_blob(blob::kPath) : nullptr;
  if (!path) {
    if (why) *why = ev ? "the exec event carries no path" : err;
    return std::nullopt;
  }
  auto stored = storedCopy(std::string(path->text()));
  if (!stored) {
    if (why) *why = std::string(path->text()) + " has no stored copy in the trace (mapped_files)";
    return std::nullopt;
  }
  // Where the kernel put the image and its interpreter: from the auxv saved with the exec
  // (AT_PHDR locates the executable, AT_BASE the dynamic loader); without it, ET_DYN images
  // sit at the no-ASLR base and ET_EXEC ones at their link addresses.
  uint64_t at_phdr = 0, at_base = 0;
  if (const Blob* auxv = ev->find_blob(blob::kAuxv)) {
    for (size_t o = 0; o + 16 <= auxv->data.size(); o += 16) {
      uint64_t kv[2];
      std::memcpy(kv, auxv->data.data() + o, sizeof kv);
      if (kv[0] == AT_PHDR) at_phdr = kv[1];
      if (kv[0] == AT_BASE) at_base = kv[1];
    }
  }
  const ElfInfo exe = elfInfo(*stored);
  uint64_t bias = exe.type == ET_DYN ? kPieBase : 0;
  if (exe.type == ET_DYN && at_phdr && exe.phdr_vaddr) bias = at_phdr - *exe.phdr_vaddr;
  std::string exe_why;
  auto w = readElfCode(*stored, bias, ip, &exe_why);
  if (w) {
    w->file = std::string(path->text());
    return w;
  }
  if (at_base && !exe.interp.empty()) {
    if (auto interp = storedCopy(exe.interp)) {
      w = readElfCode(*interp, at_base, ip, nullptr);
      if (w) {
        w->file = exe.interp;
        return w;
      }
    }
  }
  if (why)
    *why = "the address is not in the executable " + std::string(path->text()) +
           (exe.interp.empty() ? std::string() : " or its loader " + exe.interp) +
           ", and no recorded mmap with a path covers it";
  return w;
}

std::optional<CodeWindow> CodeLocator::fromMmaps(uint64_t ip, uint64_t seq) {
  // Newest mapping first: a later mmap over the same range replaces an older one.
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_->handle(),
                     "SELECT seq FROM events WHERE name='mmap' AND seq<=? AND result>=0 "
                     "ORDER BY seq DESC LIMIT 400",
                     -1, &st, nullptr);
  sqlite3_bind_int64(st, 1, static_cast<int64_t>(seq));
  std::vector<uint64_t> seqs;
  while (sqlite3_step(st) == SQLITE_ROW)
    seqs.push_back(static_cast<uint64_t>(sqlite3_column_int64(st, 0)));
  sqlite3_finalize(st);
  for (uint64_t s : seqs) {
    auto ev = events_->load(s, nullptr);
    if (!ev) return std::nullopt;  // no payloads at all: nothing to learn from the others
    const uint64_t addr = static_cast<uint64_t>(ev->result), len = ev->args[1];
    if (!(ev->args[2] & PROT_EXEC) || ip < addr || ip >= addr + len) continue;
    const Blob* path = ev->find_blob(blob::kPath);
    if (!path) return std::nullopt;
    auto stored = storedCopy(std::string(path->text()));
    if (!stored) return std::nullopt;
    const uint64_t off = ev->args[5] + (ip - addr);
    auto w = readFileWindow(*stored, off, ev->args[5], ev->args[5] + len, ip);
    if (w) w->file = std::string(path->text());
    return w;
  }
  return std::nullopt;
}

}  // namespace ckrr::gui
