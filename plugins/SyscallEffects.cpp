#include "plugins/SyscallEffects.h"

#include <fcntl.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/Error.h"
#include "plugins/ConservativeCapture.h"
#include "plugins/SyscallTable.h"

namespace ckrr {

namespace {

[[noreturn]] void bad(const char* writes) {
  throw Error(std::string("syscall table: bad writes notation \"") + writes + "\"");
}

// One "aN:SIZE" item, parsed.
struct DescribedWrite {
  int addr_arg = 0;
  enum class Base { Number, Result, Arg } base = Base::Number;
  uint64_t value = 0;  // the number, or the argument index
  char op = 0;         // 0, '+' or '*'
  uint64_t k = 0;
};

// "aN" -> N (0..5).
int arg_index(std::string_view s, const char* whole) {
  if (s.size() != 2 || s[0] != 'a' || s[1] < '0' || s[1] > '5') bad(whole);
  return s[1] - '0';
}

uint64_t number(std::string_view s, const char* whole) {
  std::string n(s);
  char* end = nullptr;
  uint64_t v = std::strtoull(n.c_str(), &end, 0);
  if (n.empty() || !end || *end) bad(whole);
  return v;
}

std::vector<DescribedWrite> parse_writes(const char* writes) {
  std::vector<DescribedWrite> out;
  std::string_view all(writes);
  while (!all.empty()) {
    size_t comma = all.find(',');
    std::string_view item = all.substr(0, comma);
    all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 1);
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) bad(writes);
    DescribedWrite w;
    w.addr_arg = arg_index(item.substr(0, colon), writes);
    std::string_view size = item.substr(colon + 1), rest;
    if (size.starts_with("ret")) {
      w.base = DescribedWrite::Base::Result;
      rest = size.substr(3);
    } else if (size.starts_with("a")) {
      w.base = DescribedWrite::Base::Arg;
      w.value = arg_index(size.substr(0, 2), writes);
      rest = size.substr(2);
    } else {
      w.value = number(size, writes);
    }
    if (!rest.empty()) {
      if (rest[0] != '+' && rest[0] != '*') bad(writes);
      w.op = rest[0];
      w.k = number(rest.substr(1), writes);
    }
    out.push_back(w);
  }
  return out;
}

// Sizes come from the app: a huge one is a bug in it, the kernel wrote no more than it allows.
constexpr uint64_t kMaxDescribedWrite = 64ull << 20;

void add_described_fd(SyscallContext& ctx, const char* spec, int64_t result) {
  if (!spec[0] || result < 0) return;
  std::string_view s(spec);
  FdEntry e;
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return;
  e.kind = s.substr(0, colon) == "file" ? FdEntry::Kind::File : FdEntry::Kind::Other;
  std::string_view label = s.substr(colon + 1);
  size_t slash = label.find('/');
  std::string_view cloexec = slash == std::string_view::npos ? "" : label.substr(slash + 1);
  e.path = std::string(label.substr(0, slash));
  if (cloexec == "always") {
    e.cloexec = true;
  } else if (cloexec.size() > 3 && cloexec[2] == '&') {
    uint64_t mask = std::strtoull(std::string(cloexec.substr(3)).c_str(), nullptr, 0);
    e.cloexec = ctx.args[arg_index(cloexec.substr(0, 2), spec)] & mask;
  }
  ctx.proc.fds[static_cast<int>(result)] = std::move(e);
}

}  // namespace

void check_writes_notation(const char* writes) {
  if (std::strcmp(writes, "code") != 0 && std::strcmp(writes, "?") != 0) parse_writes(writes);
}

void capture_described_writes(SyscallContext& ctx, const char* writes) {
  for (const DescribedWrite& w : parse_writes(writes)) {
    uint64_t len = w.value;
    if (w.base == DescribedWrite::Base::Result) len = ctx.result < 0 ? 0 : ctx.result;
    if (w.base == DescribedWrite::Base::Arg) len = ctx.args[w.value];
    if (w.op == '+') len += w.k;
    if (w.op == '*') len *= w.k;
    ctx.capture(ctx.args[w.addr_arg], std::min(len, kMaxDescribedWrite));
  }
}

void record_call_exit(Plugin& plugin, SyscallContext& ctx) {
  plugin.record_exit(ctx);
  const SyscallSpec* spec = syscall_spec(ctx.nr);
  if (spec && !ctx.failed()) {
    const char* w = spec->writes;
    if (w[0] && std::strcmp(w, "code") != 0 && std::strcmp(w, "?") != 0)
      capture_described_writes(ctx, w);
    add_described_fd(ctx, spec->fd, ctx.result);
  }
  // Memory near the pointer arguments, taken at entry when the call is not described exactly.
  if (ctx.event.find_blob(blob::kBeforeCall)) ConservativeCapture::after(ctx);
}

void replay_call_exit(Plugin& plugin, SyscallContext& ctx) {
  plugin.replay_exit(ctx);
  const SyscallSpec* spec = syscall_spec(ctx.nr);
  if (spec) add_described_fd(ctx, spec->fd, ctx.event.result);
}

}  // namespace ckrr
