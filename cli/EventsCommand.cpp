#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "cli/EventSelection.h"
#include "core/Error.h"
#include "decoder/EventDecoder.h"
#include "decoder/EventJson.h"
#include "storage/EventLogReader.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

namespace {
const char* kHelp =
    "usage: ckrr events TRACE [--from N] [--to M] [--kind KIND] [--tid T] [--pid P]\n"
    "                         [--name NAME] [-e trace=SET] [--grep REGEX] [--errors]\n"
    "                         [--limit K] [--json] [-s SIZE] [--no-fd-names] [--color WHEN]\n"
    "\n"
    "Lists the events of a recording, one per line: EVENT TIME TID KIND CALL, where CALL reads\n"
    "as strace prints it: openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3.\n"
    "Event numbers are global, dense and start at 1; 'ckrr replay --to EVENT' takes them.\n"
    "\n"
    "  --from N, --to M   range of event numbers (inclusive)\n"
    "  --kind KIND        syscall, signal, rdtsc, exec, exit, preempt, enter\n"
    "  --tid T            only thread T;  --pid P: only the threads of process P\n"
    "  --name NAME        only events named NAME (e.g. openat, SIGSEGV); may be repeated\n"
    "  -e trace=SET       strace's syntax: names and classes, comma-separated (%file, %desc,\n"
    "                     %memory, %process, %signal, %network); '!' first negates the set\n"
    "  --grep REGEX       only lines whose call text matches (ECMAScript regex)\n"
    "  --errors           only syscalls that failed\n"
    "  --limit K          at most K lines\n"
    "  --json             one JSON object per line (seq, time, tid, pid, kind, name, args,\n"
    "                     raw_args, result, error, text) for scripts\n"
    "  -s SIZE            bytes of each buffer shown (default 32, as strace)\n"
    "  --no-fd-names      fds as numbers only (default: 3</etc/passwd> where known)\n"
    "  --color WHEN       auto (default: on a terminal, unless NO_COLOR is set), always, never\n";

struct Colors {
  const char* name = "";
  const char* error = "";
  const char* signal = "";
  const char* dim = "";
  const char* reset = "";
};

}  // namespace

int cmd_events(const std::vector<std::string>& argv) {
  Args args(argv,
            {"--from", "--to", "--kind", "--tid", "--pid", "--name", "--limit", "-e", "--grep",
             "-s", "--color"},
            {"--errors", "--help", "--json", "--no-fd-names"}, {{"-h", "--help"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  if (args.positional().size() != 1) throw Error("give exactly one TRACE (see --help)");
  TraceDirectory trace = TraceDirectory::open(args.positional()[0]);
  auto index = TimelineIndex::open(trace.index_db(), true);

  EventSelection sel;
  EventQuery q;  // the range only: the selection is applied here, after following fds
  if (auto v = args.get_uint("--from")) q.from = *v;
  if (auto v = args.get_uint("--to")) q.to = *v;
  if (auto v = args.get_uint("--tid")) sel.tid = static_cast<int32_t>(*v);
  if (auto v = args.get_uint("--pid")) sel.pid = static_cast<int32_t>(*v);
  uint64_t limit = UINT64_MAX;
  if (auto v = args.get_uint("--limit")) limit = *v;
  if (auto k = args.get("--kind")) {
    sel.kind = event_kind_from_name(*k);
    if (!sel.kind)
      throw Error("unknown kind '" + *k + "' (syscall, signal, rdtsc, exec, exit, preempt, enter)");
  }
  if (auto n = args.get("--name")) sel.add_name(*n);
  if (auto e = args.get("-e")) {
    if (e->rfind("trace=", 0) != 0) throw Error("-e takes trace=SET (see --help)");
    sel.set_trace(*e);
  }
  if (auto g = args.get("--grep")) sel.set_grep(*g);
  sel.errors_only = args.has("--errors");
  const bool json = args.has("--json");
  DecodeOptions opts;
  if (auto s = args.get_uint("-s")) opts.string_limit = *s;
  opts.fd_names = !args.has("--no-fd-names");
  std::string color = args.get("--color").value_or("auto");
  if (color != "auto" && color != "always" && color != "never")
    throw Error("--color takes auto, always or never");
  const bool use_color =
      !json &&
      (color == "always" || (color == "auto" && isatty(STDOUT_FILENO) && !getenv("NO_COLOR")));
  Colors c;
  if (use_color) c = {"\033[1m", "\033[31m", "\033[33m", "\033[2m", "\033[0m"};

  std::map<int32_t, int32_t> pid_of;
  for (const auto& t : index->threads()) pid_of[t.tid] = t.pid;
  auto process_of = [&](int32_t tid) {
    auto it = pid_of.find(tid);
    return it == pid_of.end() ? tid : it->second;
  };
  EventDecoder decoder(opts);
  decoder.set_process_of(process_of);

  // The payloads come from events.log; where it cannot be read (missing, torn or corrupt),
  // the index row still gives the event's name and result.
  std::unique_ptr<EventLogReader> log;
  try {
    log = std::make_unique<EventLogReader>(trace.events_log());
  } catch (const std::exception& e) {
    std::cerr << "ckrr events: " << e.what() << ": calls shown by name only\n";
  }
  uint64_t bad_chunk = UINT64_MAX;
  bool warned = false;
  auto load = [&](const EventRow& r) -> std::optional<Event> {
    if (!log || r.chunk_offset == bad_chunk) return std::nullopt;
    try {
      log->seek(r.chunk_offset, r.chunk_index);
      Event ev;
      if (log->next(ev) && ev.seq == r.seq) return ev;
    } catch (const std::exception& e) {
      bad_chunk = r.chunk_offset;
      if (!warned) std::cerr << "ckrr events: " << e.what() << ": some calls shown by name only\n";
      warned = true;
    }
    return std::nullopt;
  };

  uint64_t printed = 0;
  const uint64_t from = q.from;
  q.from = 1;  // rows before --from are followed for fd names, not printed
  index->for_each_event(q, [&](const EventRow& r) {
    const bool in_range = r.seq >= from;
    const int32_t pid = process_of(r.tid);
    const bool wanted = in_range && sel.row_matches(r.kind, r.tid, pid, r.name, r.result);
    if (!wanted) {
      if (opts.fd_names && EventDecoder::changes_fds(r.kind, r.name))
        if (auto ev = load(r)) decoder.observe(*ev);
      return true;
    }
    std::optional<Event> ev = load(r);
    DecodedEvent d;
    if (ev) {
      d = decoder.next(*ev);
    } else {
      d.name = r.name;
      d.text = r.name + " = " + std::to_string(r.result) + "  /* payload not readable */";
    }
    if (!sel.text_matches(d.text)) return true;
    if (json) {
      std::string line = event_json(r.seq, r.time_ns, r.tid, pid, event_kind_name(r.kind),
                                    ev ? &*ev : nullptr, d, r.result);
      puts(line.c_str());
    } else {
      const char* tc = d.error ? c.error : r.kind == EventKind::Signal ? c.signal : "";
      std::string text = d.text;
      if (use_color && d.call && text.compare(0, d.name.size(), d.name) == 0)
        text = c.name + d.name + c.reset + tc + text.substr(d.name.size());
      printf("%s%llu %.6f %d %s%s %s%s%s\n", c.dim, static_cast<unsigned long long>(r.seq),
             r.time_ns / 1e9, r.tid, event_kind_name(r.kind), c.reset, tc, text.c_str(),
             use_color ? c.reset : "");
    }
    if (ferror(stdout)) return false;
    return ++printed < limit;
  });
  return 0;
}

}  // namespace ckrr
