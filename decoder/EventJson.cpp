#include "decoder/EventJson.h"

#include <cstdio>

namespace ckrr {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          // Decoded text is ASCII (the quoting escapes the rest); names never hold such bytes.
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string event_json(uint64_t seq, uint64_t time_ns, int32_t tid, int32_t pid,
                       std::string_view kind, const Event* ev, const DecodedEvent& d,
                       int64_t result) {
  char head[160];
  std::snprintf(head, sizeof head, "{\"seq\":%llu,\"time\":%.9f,\"tid\":%d,\"pid\":%d,",
                static_cast<unsigned long long>(seq), static_cast<double>(time_ns) / 1e9, tid, pid);
  std::string s = head;
  s += "\"kind\":" + json_string(kind) + ",\"name\":" + json_string(d.name);
  if (ev) {
    s += ",\"nr\":" + std::to_string(ev->nr);
    if (d.call) {
      s += ",\"args\":[";
      for (size_t i = 0; i < d.args.size(); ++i)
        s += std::string(i ? "," : "") + "{\"name\":" + json_string(d.args[i].name) +
             ",\"value\":" + json_string(d.args[i].value) + "}";
      s += "],\"raw_args\":[";
      for (int i = 0; i < 6; ++i) s += (i ? "," : "") + std::to_string(ev->args[i]);
      s += "]";
    }
  }
  s += ",\"result\":" + std::to_string(result);
  s += ",\"error\":" + (d.error ? json_string(d.errno_name) : std::string("null"));
  s += ",\"text\":" + json_string(d.text.empty() ? d.name : d.text) + "}";
  return s;
}

}  // namespace ckrr
