#include <cstdio>
#include <iostream>

#include "cli/Args.h"
#include "cli/Commands.h"
#include "core/Error.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

namespace {
const char* kHelp =
    "usage: ckrr events TRACE [--from N] [--to M] [--kind KIND] [--tid T] [--name NAME]\n"
    "                         [--errors] [--limit K]\n"
    "\n"
    "Lists events from the trace's index, one per line: EVENT TIME TID KIND SUMMARY.\n"
    "Event numbers are global, dense and start at 1; 'ckrr replay --to EVENT' takes them.\n"
    "\n"
    "  --from N, --to M   range of event numbers (inclusive)\n"
    "  --kind KIND        syscall, signal, rdtsc, exec, exit, preempt, enter\n"
    "  --tid T            only thread T\n"
    "  --name NAME        only events named NAME (e.g. openat, SIGSEGV)\n"
    "  --errors           only syscalls that failed\n"
    "  --limit K          at most K lines\n";
}  // namespace

int cmd_events(const std::vector<std::string>& argv) {
  Args args(argv, {"--from", "--to", "--kind", "--tid", "--name", "--limit"},
            {"--errors", "--help"}, {{"-h", "--help"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  if (args.positional().size() != 1) throw Error("give exactly one TRACE (see --help)");
  TraceDirectory trace = TraceDirectory::open(args.positional()[0]);
  auto index = TimelineIndex::open(trace.index_db(), true);
  EventQuery q;
  if (auto v = args.get_uint("--from")) q.from = *v;
  if (auto v = args.get_uint("--to")) q.to = *v;
  if (auto v = args.get_uint("--tid")) q.tid = static_cast<int32_t>(*v);
  if (auto v = args.get_uint("--limit")) q.limit = *v;
  if (auto k = args.get("--kind")) {
    q.kind = event_kind_from_name(*k);
    if (!q.kind)
      throw Error("unknown kind '" + *k + "' (syscall, signal, rdtsc, exec, exit, preempt, enter)");
  }
  if (auto n = args.get("--name")) q.name = *n;
  q.errors_only = args.has("--errors");
  index->for_each_event(q, [](const EventRow& r) {
    printf("%llu %.6f %d %s %s\n", static_cast<unsigned long long>(r.seq), r.time_ns / 1e9, r.tid,
           event_kind_name(r.kind), r.summary.c_str());
    return !ferror(stdout);
  });
  return 0;
}

}  // namespace ckrr
