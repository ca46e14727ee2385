#include "replayer/gdb/GdbSession.h"

#include <algorithm>
#include <exception>

#include "replayer/gdb/GdbHex.h"
#include "replayer/gdb/GdbSignals.h"
#include "replayer/gdb/TargetDescription.h"

namespace ckrr::gdb {

const char* const kReadOnlyMessage =
    "ckrr replays a recording: registers and memory are read-only (a write would make the "
    "replay diverge from the recording)";

namespace {

// Largest packet we accept and advertise (hex); memory reads are bounded so their replies fit.
constexpr size_t kPacketSize = 0x10000;
constexpr size_t kMaxMemoryRead = (kPacketSize - 32) / 2;
// Bytes of monitor output per O packet.
constexpr size_t kConsoleChunk = 1024;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Splits at the first `sep`; the second part is empty (and `found` false) when there is none.
std::pair<std::string_view, std::string_view> split(std::string_view s, char sep,
                                                    bool* found = nullptr) {
  size_t i = s.find(sep);
  if (found) *found = i != std::string_view::npos;
  if (i == std::string_view::npos) return {s, {}};
  return {s.substr(0, i), s.substr(i + 1)};
}

// "ADDR,LEN" as in m, M, X, qXfer offsets.
bool parse_addr_len(std::string_view s, uint64_t& addr, uint64_t& len) {
  bool found;
  auto [a, l] = split(s, ',', &found);
  if (!found) return false;
  auto av = parse_hex_u64(a), lv = parse_hex_u64(l);
  if (!av || !lv) return false;
  addr = *av;
  len = *lv;
  return true;
}

// An error reply gdb shows to the user: gdb prints the text after "E." in its messages for
// register writes and failed resumes. Characters with a meaning in the framing are replaced.
std::string error_text(std::string_view msg) {
  std::string out = "E.";
  for (char c : msg) {
    if (c == '$' || c == '#' || c == '*' || c == '}' || static_cast<unsigned char>(c) < 0x20)
      c = ' ';
    out.push_back(c);
  }
  return out;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string hex_addr(uint64_t v) {
  return "0x" + hex_number(v);
}

// One qXfer reply: the window [offset, offset+len) of `data`, "m" when more follows, else "l".
std::string xfer_window(const std::string& data, uint64_t offset, uint64_t len) {
  if (offset >= data.size()) return "l";
  uint64_t n = std::min<uint64_t>({len, data.size() - offset, kPacketSize / 2});
  bool more = offset + n < data.size();
  return (more ? "m" : "l") + data.substr(offset, n);
}

}  // namespace

GdbSession::GdbSession(DebugTarget& target) : target_(target) {}

void GdbSession::interrupt() {
  if (!running_.load(std::memory_order_acquire)) return;
  interrupt_flag_.store(true, std::memory_order_release);
  target_.interrupt();
}

std::vector<std::string> GdbSession::handle(std::string_view payload) {
  std::vector<std::string> out;
  std::string reply;
  try {
    reply = dispatch(payload, out);
  } catch (const std::exception& e) {
    running_ = false;
    reply = error_text(e.what());
  } catch (...) {
    running_ = false;
    reply = "E01";
  }
  // `k` has no reply; everything else gets exactly one final reply (possibly empty).
  if (!(payload == "k")) out.push_back(std::move(reply));
  return out;
}

std::string GdbSession::dispatch(std::string_view p, std::vector<std::string>& out) {
  if (p.empty()) return "";
  char cmd = p[0];
  std::string_view args = p.substr(1);
  switch (cmd) {
    case '?':
      if (exited_) return "W00";
      return stop_reply(last_stop_ ? *last_stop_
                                   : StopReason::with(StopReason::Kind::Signal,
                                                      target_.current_thread(), SIGTRAP));
    case 'g':
      return read_registers(args);
    case 'p':
      return read_register(args);
    case 'm':
      return read_memory(args);
    case 'G':
    case 'P':
    case 'M':
    case 'X':
      return error_text(kReadOnlyMessage);
    case 'Z':
    case 'z':
      return handle_breakpoint(p);
    case 'c':
    case 's':
      // An address would mean "resume somewhere else": a jump, which changes the replay.
      if (!args.empty()) return error_text(kReadOnlyMessage);
      return resume(Direction::Forward, cmd == 's', c_thread_, 0);
    case 'C':
    case 'S': {
      auto [sig, addr] = split(args, ';');
      auto s = parse_hex_u64(sig);
      if (!s || *s > 255) return "E01";
      if (!addr.empty()) return error_text(kReadOnlyMessage);
      return resume(Direction::Forward, cmd == 'S', c_thread_,
                    gdb_to_host_signal(static_cast<int>(*s)));
    }
    case 'b':
      if (args == "c") return resume(Direction::Backward, false, c_thread_, 0);
      if (args == "s") return resume(Direction::Backward, true, c_thread_, 0);
      return "";
    case 'H':
      return set_thread(args);
    case 'T': {
      auto sel = parse_thread(args);
      if (!sel || sel->tid <= 0) return "E01";
      return thread_alive(sel->tid) ? "OK" : "E01";
    }
    case 'q':
    case 'Q':
      return handle_query(p, out);
    case 'v':
      return handle_v(p);
    case 'k':
      finished_ = true;
      killed_ = true;
      target_.kill();
      return "";
    case 'D':
      finished_ = true;
      target_.detach();
      return "OK";
    case '!':
      return "OK";  // extended mode: nothing changes for us
    case 'R':
    case 'A':
    case 'I':
    case 'i':
      return error_text(kReadOnlyMessage);
    default:
      return "";
  }
}

std::string GdbSession::handle_query(std::string_view p, std::vector<std::string>& out) {
  if (starts_with(p, "qSupported")) return handle_supported(p);
  if (p == "QStartNoAckMode") {
    no_ack_ = true;
    return "OK";
  }
  if (starts_with(p, "qXfer:")) return handle_qxfer(p);
  if (p == "qfThreadInfo") {
    std::string r = "m";
    bool first = true;
    for (const ThreadInfo& t : target_.threads()) {
      if (!first) r += ",";
      first = false;
      r += thread_id(t.tid);
    }
    return first ? "l" : r;
  }
  if (p == "qsThreadInfo") return "l";
  if (p == "qC") return "QC" + thread_id(target_.current_thread());
  if (p == "qAttached" || starts_with(p, "qAttached:")) return "1";
  if (starts_with(p, "qSymbol")) return "OK";
  if (starts_with(p, "qRcmd,")) return handle_rcmd(p.substr(6), out);
  // Everything else (qOffsets, qTStatus, qTfV, QPassSignals, QNonStop...) is unsupported,
  // which gdb handles by falling back.
  return "";
}

std::string GdbSession::handle_supported(std::string_view p) {
  auto [name, features] = split(p, ':');
  (void)name;
  while (!features.empty()) {
    auto [f, rest] = split(features, ';');
    if (f == "multiprocess+") multiprocess_ = true;
    if (f == "swbreak+") swbreak_ = true;
    if (f == "hwbreak+") hwbreak_ = true;
    features = rest;
  }
  std::string r = "PacketSize=" + hex_number(kPacketSize) +
                  ";QStartNoAckMode+;qXfer:features:read+;qXfer:auxv:read+"
                  ";qXfer:exec-file:read+;qXfer:threads:read+;ReverseStep+;ReverseContinue+"
                  ";vContSupported+";
  if (target_.libraries()) r += ";qXfer:libraries-svr4:read+";
  if (swbreak_) r += ";swbreak+";
  if (hwbreak_) r += ";hwbreak+";
  if (multiprocess_) r += ";multiprocess+";
  return r;
}

std::string GdbSession::handle_qxfer(std::string_view p) {
  // qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH
  std::string_view rest = p.substr(6);
  auto [object, r1] = split(rest, ':');
  auto [op, r2] = split(r1, ':');
  bool found;
  size_t colon = r2.rfind(':');
  found = colon != std::string_view::npos;
  if (op != "read") return "";
  if (!found) return "E00";
  std::string_view annex = r2.substr(0, colon);
  uint64_t offset, len;
  if (!parse_addr_len(r2.substr(colon + 1), offset, len)) return "E00";

  std::string data;
  if (object == "features") {
    if (annex != "target.xml") return "E00";
    data = x86_64_target_xml(target_.has_avx());
  } else if (object == "auxv") {
    auto a = target_.auxv();
    data.assign(a.begin(), a.end());
  } else if (object == "exec-file") {
    data = target_.exec_file();
  } else if (object == "threads") {
    data = threads_xml();
  } else if (object == "libraries-svr4") {
    auto list = target_.libraries();
    if (!list) return "E00";
    data = libraries_xml(*list);
  } else {
    return "";
  }
  return xfer_window(data, offset, len);
}

std::string GdbSession::libraries_xml(const Svr4LibraryList& list) {
  std::string x = "<library-list-svr4 version=\"1.0\"";
  if (list.main_lm) x += " main-lm=\"" + hex_addr(list.main_lm) + "\"";
  x += ">";
  // lmid is the link-map namespace; gdb 13 requires it. dlmopen namespaces are not listed.
  for (const Svr4Library& l : list.libraries)
    x += "<library name=\"" + xml_escape(l.name) + "\" lm=\"" + hex_addr(l.lm) + "\" l_addr=\"" +
         hex_addr(l.l_addr) + "\" l_ld=\"" + hex_addr(l.l_ld) + "\" lmid=\"0x0\"/>";
  return x + "</library-list-svr4>";
}

std::string GdbSession::threads_xml() {
  std::string x = "<?xml version=\"1.0\"?>\n<threads>\n";
  for (const ThreadInfo& t : target_.threads()) {
    x += "<thread id=\"" + thread_id(t.tid) + "\"";
    if (!t.name.empty()) x += " name=\"" + xml_escape(t.name) + "\"";
    x += "/>\n";
  }
  return x + "</threads>\n";
}

std::string GdbSession::handle_rcmd(std::string_view hex, std::vector<std::string>& out) {
  auto bytes = hex_decode(hex);
  if (!bytes) return "E01";
  std::string cmd(bytes->begin(), bytes->end());
  MonitorResult r = target_.monitor(cmd);
  for (size_t i = 0; i < r.output.size(); i += kConsoleChunk)
    out.push_back("O" + hex_encode(std::string_view(r.output).substr(i, kConsoleChunk)));
  // gdb turns E<NN> into an error, so scripts see a failed monitor command fail.
  return r.ok ? "OK" : "E01";
}

std::string GdbSession::handle_v(std::string_view p) {
  if (p == "vCont?") return "vCont;c;C;s;S";
  if (starts_with(p, "vCont;")) return handle_vcont(p.substr(6));
  if (starts_with(p, "vKill")) {
    finished_ = true;
    killed_ = true;
    target_.kill();
    return "OK";
  }
  if (starts_with(p, "vRun") || starts_with(p, "vAttach")) return error_text(kReadOnlyMessage);
  return "";  // vMustReplyEmpty, vFile:..., vCtrlC...: unsupported
}

std::string GdbSession::handle_vcont(std::string_view actions) {
  // Actions apply leftmost-first; threads run one at a time in a replay, so what matters is
  // whether any thread steps (then that one steps and the request is a step) and which signal
  // goes with the resumed thread.
  bool step = false, have = false;
  ThreadId thread = 0;
  int signal = 0;
  while (!actions.empty()) {
    auto [action, rest] = split(actions, ';');
    actions = rest;
    auto [a, tid_text] = split(action, ':');
    if (a.empty()) return "E01";
    char kind = a[0];
    int sig = 0;
    if (kind == 'C' || kind == 'S') {
      auto s = parse_hex_u64(a.substr(1));
      if (!s || *s > 255) return "E01";
      sig = gdb_to_host_signal(static_cast<int>(*s));
    } else if ((kind != 'c' && kind != 's') || a.size() != 1) {
      return "E01";  // t, r and anything else: we did not offer them
    }
    ThreadId tid = -1;
    if (!tid_text.empty()) {
      auto sel = parse_thread(tid_text);
      if (!sel) return "E01";
      tid = sel->tid;
    }
    bool is_step = kind == 's' || kind == 'S';
    if (is_step && !step) {
      step = true;
      thread = tid;
      signal = sig;
      have = true;
    } else if (!have) {
      thread = tid;
      signal = sig;
      have = true;
    }
  }
  if (!have) return "E01";
  return resume(Direction::Forward, step, thread, signal);
}

std::string GdbSession::handle_breakpoint(std::string_view p) {
  // Z/z TYPE,ADDR,KIND[;cond...]
  bool insert = p[0] == 'Z';
  auto [spec, conds] = split(p.substr(1), ';');
  (void)conds;
  bool f1, f2;
  auto [type_text, r1] = split(spec, ',', &f1);
  auto [addr_text, kind_text] = split(r1, ',', &f2);
  if (!f1 || !f2) return "E01";
  auto type = parse_hex_u64(type_text), addr = parse_hex_u64(addr_text),
       kind = parse_hex_u64(kind_text);
  if (!type || !addr || !kind) return "E01";
  if (*type > 4) return "";
  auto bt = static_cast<BreakpointType>(*type);
  TargetResult r = insert ? target_.insert_breakpoint(bt, *addr, *kind)
                          : target_.remove_breakpoint(bt, *addr, *kind);
  switch (r) {
    case TargetResult::Ok:
      return "OK";
    case TargetResult::Unsupported:
      return "";
    case TargetResult::Error:
      return "E01";
  }
  return "E01";
}

std::string GdbSession::read_registers(std::string_view args) {
  if (!args.empty()) return "E01";
  auto regs = target_.registers(resolve(g_thread_));
  if (!regs) return "E01";
  auto all = regs->all();
  return hex_encode(all.data(), all.size());
}

std::string GdbSession::read_register(std::string_view args) {
  auto n = parse_hex_u64(args);
  if (!n) return "E01";
  auto regs = target_.registers(resolve(g_thread_));
  if (!regs) return "E01";
  if (*n >= static_cast<uint64_t>(regs->count())) return "E45";
  auto r = regs->reg(static_cast<int>(*n));
  return hex_encode(r.data(), r.size());
}

std::string GdbSession::read_memory(std::string_view args) {
  uint64_t addr, len;
  if (!parse_addr_len(args, addr, len)) return "E01";
  if (len == 0) return "";
  len = std::min<uint64_t>(len, kMaxMemoryRead);
  if (addr + len < addr) len = 0 - addr;  // stop at the top of the address space
  std::string buf(len, '\0');
  size_t n = target_.read_memory(addr, buf.data(), len);
  if (n == 0) return "E0e";  // EFAULT
  return hex_encode(buf.data(), std::min<size_t>(n, len));
}

std::string GdbSession::set_thread(std::string_view args) {
  if (args.empty()) return "E01";
  char op = args[0];
  auto sel = parse_thread(args.substr(1));
  if (!sel) return "E01";
  if (sel->tid > 0 && !thread_alive(sel->tid)) return "E01";
  if (op == 'g')
    g_thread_ = sel->tid;
  else if (op == 'c')
    c_thread_ = sel->tid;
  else
    return "E01";
  return "OK";
}

std::string GdbSession::resume(Direction dir, bool step, ThreadId tid, int signal) {
  ResumeRequest req;
  req.direction = dir;
  req.step = step;
  req.thread = resolve(tid);
  req.signal = signal;
  req.interrupt_flag = &interrupt_flag_;
  interrupt_flag_.store(false, std::memory_order_release);
  running_.store(true, std::memory_order_release);
  StopReason s;
  try {
    s = target_.resume(req);
  } catch (...) {
    running_.store(false, std::memory_order_release);
    throw;  // gdb shows "E.<message>" as a warning and treats the target as stopped
  }
  running_.store(false, std::memory_order_release);
  last_stop_ = s;
  // gdb takes the stopped thread as the one its next register reads are about (remote.c's
  // record_currthread): it sends no Hg for it.
  g_thread_ = 0;
  exited_ = s.kind == StopReason::Kind::Exited || s.kind == StopReason::Kind::Killed;
  return stop_reply(s);
}

std::string GdbSession::stop_reply(const StopReason& s) {
  using K = StopReason::Kind;
  std::string proc = multiprocess_ ? ";process:" + hex_number(target_.pid()) : "";
  if (s.kind == K::Exited) {
    std::string code = hex_encode(std::string(1, static_cast<char>(s.exit_code & 0xff)));
    return "W" + code + proc;
  }
  if (s.kind == K::Killed) {
    int g = host_to_gdb_signal(s.signal);
    return "X" + hex_encode(std::string(1, static_cast<char>(g))) + proc;
  }
  int sig = s.kind == K::Interrupted ? SIGINT : s.kind == K::Signal ? s.signal : SIGTRAP;
  int g = host_to_gdb_signal(sig);
  std::string r = "T" + hex_encode(std::string(1, static_cast<char>(g)));
  ThreadId tid = s.thread > 0 ? s.thread : target_.current_thread();
  if (tid > 0) r += "thread:" + thread_id(tid) + ";";
  switch (s.kind) {
    case K::SwBreakpoint:
      if (swbreak_) r += "swbreak:;";
      break;
    case K::HwBreakpoint:
      if (hwbreak_) r += "hwbreak:;";
      break;
    case K::Watchpoint: {
      const char* name = s.watch_kind == WatchKind::Write  ? "watch"
                         : s.watch_kind == WatchKind::Read ? "rwatch"
                                                           : "awatch";
      r += std::string(name) + ":" + hex_number(s.watch_addr) + ";";
      break;
    }
    case K::ReplayBegin:
      r += "replaylog:begin;";
      break;
    case K::ReplayEnd:
      r += "replaylog:end;";
      break;
    default:
      break;
  }
  return r;
}

std::string GdbSession::thread_id(ThreadId tid) {
  if (multiprocess_) return "p" + hex_number(target_.pid()) + "." + hex_number(tid);
  return hex_number(tid);
}

std::optional<GdbSession::ThreadSel> GdbSession::parse_thread(std::string_view s) {
  // [pPID.]TID or pPID, where PID and TID are hex, -1 (all) or 0 (any).
  auto num = [](std::string_view t) -> std::optional<long long> {
    if (t == "-1") return -1;
    auto v = parse_hex_u64(t);
    if (!v || *v > 0x7fffffff) return std::nullopt;
    return static_cast<long long>(*v);
  };
  ThreadSel sel;
  if (!s.empty() && s[0] == 'p') {
    bool found;
    auto [pid, tid] = split(s.substr(1), '.', &found);
    auto pv = num(pid);
    if (!pv) return std::nullopt;
    sel.pid = static_cast<int>(*pv);
    if (!found) {
      sel.tid = -1;
      return sel;
    }
    s = tid;
  }
  auto tv = num(s);
  if (!tv) return std::nullopt;
  sel.tid = static_cast<ThreadId>(*tv);
  return sel;
}

ThreadId GdbSession::resolve(ThreadId tid) {
  return tid > 0 ? tid : target_.current_thread();
}

bool GdbSession::thread_alive(ThreadId tid) {
  for (const ThreadInfo& t : target_.threads())
    if (t.tid == tid) return true;
  return false;
}

}  // namespace ckrr::gdb
