#include "plugins/EventSummary.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <cstdio>

namespace ckrr {

namespace {

std::string hex(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 96)) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 32) {
      char b[8];
      snprintf(b, sizeof b, "\\x%02x", static_cast<unsigned char>(c));
      out += b;
    } else {
      out += c;
    }
  }
  if (s.size() > 96) out += "...";
  return out + "\"";
}

std::string result_text(int64_t r) {
  if (r < 0 && r >= -4095) {
    const char* n = strerrorname_np(static_cast<int>(-r));
    return "-1 " + std::string(n ? n : std::to_string(-r));
  }
  if (r > 0xffff) return hex(r);
  return std::to_string(r);
}

}  // namespace

std::string summarize_event(const Event& e) {
  switch (e.kind) {
    case EventKind::Syscall: {
      std::string s = e.name() + "(";
      const Blob* path = e.find_blob(blob::kPath);
      if (path) s += quoted(path->text()) + ", ";
      for (int i = 0; i < 3; ++i) s += (i ? ", " : "") + hex(e.args[i]);
      s += ") = " + result_text(e.result);
      if (const Blob* d = e.find_blob(blob::kData)) s += "  " + quoted(d->text().substr(0, 40));
      return s;
    }
    case EventKind::Exec: {
      const Blob* path = e.find_blob(blob::kPath);
      return e.name() + "(" + (path ? quoted(path->text()) : "") + ") = " + result_text(e.result);
    }
    case EventKind::Signal: {
      std::string s = e.name();
      s += e.args[0] ? " (fault at " + hex(e.args[1]) + ")" : " (delivered)";
      return s;
    }
    case EventKind::Rdtsc:
      return std::string(e.nr == 3 ? "rdtscp" : "rdtsc") + " at " + hex(e.args[0]) + " = " +
             hex(e.result);
    case EventKind::Exit: {
      int st = static_cast<int>(e.result);
      if (WIFSIGNALED(st)) {
        const char* n = sigabbrev_np(WTERMSIG(st));
        return std::string("killed by SIG") + (n ? n : "?");
      }
      return "exited with status " + std::to_string(WEXITSTATUS(st));
    }
    case EventKind::Enter:
      return "enter " + e.name() + " (may block)";
    case EventKind::Preempt:
      if (static_cast<PointKind>(e.args[2]) == PointKind::Counted)
        return "preempted at " + hex(e.args[0]) + " (hit " + std::to_string(e.args[3]) + ")";
      return "preempted at " + hex(e.args[0]);
  }
  return e.name();
}

}  // namespace ckrr
