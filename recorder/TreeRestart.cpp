#include "recorder/TreeRestart.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <map>
#include <set>

#include "checkpoint/CheckpointRestorer.h"
#include "core/Error.h"
#include "core/RemoteSyscall.h"
#include "recorder/ListenerRestorer.h"
#include "recorder/PipeRestorer.h"
#include "recorder/SocketPairRestorer.h"
#include "recorder/TcpPairRestorer.h"
#include "recorder/TreeLinks.h"

namespace ckrr {

namespace {

struct Member {
  uint32_t id = 0;
  CheckpointManifest manifest;
  TreeLinks links;
  pid_t vpid = 0;
  std::unique_ptr<Task> empty;
  size_t order = 0;
};

// The ids of the group checkpoint `id` belongs to.
std::vector<uint32_t> group_of(const CheckpointManifest& m) {
  const std::vector<uint8_t>* g = m.blob(kGroupBlob);
  if (!g) return {m.id};
  uint32_t v[3];
  if (g->size() != sizeof v) throw TraceError("checkpoint " + std::to_string(m.id) + ": bad group");
  memcpy(v, g->data(), sizeof v);
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < v[1]; ++i) ids.push_back(v[0] + i);
  return ids;
}

pid_t recorded_pid_of(const CheckpointManifest& m, pid_t fallback) {
  ProcessState ps;
  const std::vector<uint8_t>* blob = m.blob("process");
  if (!blob || !ps.deserialize(*blob))
    throw TraceError("checkpoint " + std::to_string(m.id) + ": no process state");
  return ps.recorded_pid ? ps.recorded_pid : fallback;
}

// A call saved as about to be made again, which had completed: return its result instead.
void complete_entered_call(Task& t, const CheckpointManifest& m) {
  const std::vector<uint8_t>* b = m.blob(kEnteredResultBlob);
  if (!b || b->size() != sizeof(int64_t)) return;
  int64_t result;
  memcpy(&result, b->data(), sizeof result);
  Registers r = t.regs();
  r.rax = static_cast<uint64_t>(result);
  r.rip += 2;     // past the `syscall` instruction it was rewound to
  r.rcx = r.rip;  // as the syscall instruction leaves them
  r.r11 = r.eflags;
  t.set_regs(r);
}

void kill_members(std::vector<Member>& members, std::vector<RestartedProcess>& done) {
  std::vector<Task*> all;
  for (Member& m : members)
    if (m.empty) all.push_back(m.empty.get());
  for (RestartedProcess& p : done) {
    if (p.task) all.push_back(p.task.get());
    for (auto& th : p.threads) all.push_back(th.get());
  }
  kill_and_collect(all);
}

}  // namespace

RestartedTree restart_tree(const std::filesystem::path& trace_dir,
                           std::optional<uint32_t> checkpoint) {
  RestartPlan plan = plan_restart(trace_dir, checkpoint);
  CheckpointRestorer restorer(plan.checkpoints_dir);
  std::string last_error;
  std::set<uint32_t> tried;
  for (auto it = plan.ids.rbegin(); it != plan.ids.rend(); ++it) {
    if (tried.count(*it)) continue;
    std::vector<Member> members;
    RestartedTree out;
    try {
      CheckpointManifest first =
          CheckpointManifest::load(plan.checkpoints_dir / std::to_string(*it));
      std::vector<uint32_t> ids = group_of(first);
      tried.insert(ids.begin(), ids.end());
      for (uint32_t id : ids) {
        Member m;
        m.id = id;
        m.manifest = id == first.id
                         ? first
                         : CheckpointManifest::load(plan.checkpoints_dir / std::to_string(id));
        if (m.manifest.seq != first.seq)
          throw TraceError("checkpoint " + std::to_string(id) + " does not belong with " +
                           std::to_string(first.id));
        m.vpid = recorded_pid_of(m.manifest, plan.launch.pid);
        if (const std::vector<uint8_t>* l = m.manifest.blob(kLinksBlob)) {
          if (!m.links.parse(*l))
            throw TraceError("checkpoint " + std::to_string(id) + ": bad links");
        } else if (ids.size() > 1) {
          throw TraceError("checkpoint " + std::to_string(id) +
                           " does not say how its processes are related (taken by an older ckrr)");
        }
        members.push_back(std::move(m));
      }
      // The trees: a root is a process whose parent is not in the group (the recorded program,
      // or one orphaned before the checkpoint); each becomes ckrr restart's child. The recorded
      // program (else the first) comes first: its status is the restart's.
      std::map<pid_t, size_t> by_vpid;
      for (size_t i = 0; i < members.size(); ++i) by_vpid[members[i].vpid] = i;
      std::vector<size_t> order;
      for (size_t i = 0; i < members.size(); ++i)
        if (!by_vpid.count(members[i].links.ppid)) order.push_back(i);
      if (order.empty())
        throw TraceError("checkpoint " + std::to_string(first.id) + ": its " +
                         std::to_string(members.size()) + " processes have no root");
      for (size_t k = 1; k < order.size(); ++k)
        if (members[order[k]].vpid == plan.launch.pid) std::swap(order[0], order[k]);
      const size_t roots = order.size();
      for (size_t k = 0; k < order.size(); ++k)
        for (size_t i = 0; i < members.size(); ++i)
          if (i != order[k] && members[i].links.ppid == members[order[k]].vpid) order.push_back(i);
      if (order.size() != members.size())
        throw TraceError("checkpoint " + std::to_string(first.id) +
                         ": its processes do not form one tree");

      // Empty processes, parents first; children forked from their parent's.
      std::map<pid_t, pid_t> real_of;  // virtual pid -> real pid
      for (size_t k = 0; k < order.size(); ++k) {
        Member& m = members[order[k]];
        m.order = k;
        m.empty = k < roots ? CheckpointRestorer::start_empty(plan.ro)
                            : CheckpointRestorer::fork_empty(*members[by_vpid[m.links.ppid]].empty);
        real_of[m.vpid] = m.empty->tgid();
        if (m.links.sid == m.vpid) {
          remote_syscall_checked(*m.empty, "setsid", SYS_setsid, {});
        } else if (m.links.pgid == m.vpid) {
          remote_syscall_checked(*m.empty, "setpgid", SYS_setpgid, {0, 0});
        } else if (auto leader = real_of.find(m.links.pgid);
                   leader != real_of.end() && k >= roots &&
                   m.links.pgid != members[order[0]].links.pgid) {
          remote_syscall(*m.empty, SYS_setpgid, {0, uint64_t(leader->second)});
        }
      }

      PipeRestorer pipes;
      SocketPairRestorer sockets;
      ListenerRestorer listeners;
      TcpPairRestorer tcp;
      for (Member& m : members) {
        ProcessState ps;
        std::set<int> std_fds;
        if (const std::vector<uint8_t>* b = m.manifest.blob("process"); b && ps.deserialize(*b))
          for (const auto& [fd, e] : ps.fds)
            if (e.std_stream >= 0) std_fds.insert(fd);
        pipes.add(m.manifest.fds, m.links, std_fds);
        sockets.add(m.manifest.fds, m.links);
        listeners.add(m.links);
        tcp.add(m.manifest.fds, m.links);
      }
      std::map<std::string, std::string> subs = pipes.create();
      subs.merge(sockets.create());
      std::vector<std::string> listen_warnings;
      // Connections before listeners: a connection's temporary listener may need the port.
      subs.merge(tcp.create(&listen_warnings));
      subs.merge(listeners.create(&listen_warnings));
      for (const std::string& w : listen_warnings)
        std::cerr << "ckrr restart: warning: " << w << "\n";
      SharedMemoryPool shared;  // the processes share their shared mappings again
      RestoreOptions ro = plan.ro;
      ro.shared = &shared;
      for (size_t k = 0; k < order.size(); ++k) {
        Member& m = members[order[k]];
        RestoredProcess p = restorer.restore_into(std::move(m.empty), m.manifest, ro);
        out.procs.emplace_back();
        adopt_restored_process(p, m.id, plan, out.procs.back(), &subs);
        complete_entered_call(*out.procs.back().task, out.procs.back().manifest);
      }
      sockets.finish();
      listeners.finish();
      tcp.finish();
      for (const std::string& w : pipes.finish())
        std::cerr << "ckrr restart: warning: " << w << "\n";
      // Each process's table names the others too; getppid of a child answers its parent.
      for (RestartedProcess& p : out.procs) {
        for (const auto& [v, r] : real_of)
          if (v != p.ids.virtual_pid) p.ids.peers[v] = r;
      }
      for (size_t k = 1; k < order.size(); ++k)  // the first one's is the recorder
        out.procs[k].virtual_ppid = members[order[k]].links.ppid;
      if (members.size() > 1 || pipes.count() || sockets.pairs() || listeners.count() ||
          tcp.pairs())
        std::cerr << "ckrr restart: " << members.size() << " process"
                  << (members.size() > 1 ? "es" : "") << " restored with " << pipes.count()
                  << " pipe" << (pipes.count() == 1 ? "" : "s") << " between them ("
                  << pipes.bytes_in_flight() << " bytes in flight put back) and " << sockets.pairs()
                  << " connected unix socket pair" << (sockets.pairs() == 1 ? "" : "s") << "; "
                  << listeners.count() << " listening socket" << (listeners.count() == 1 ? "" : "s")
                  << " listen again; " << tcp.pairs() << " TCP connection"
                  << (tcp.pairs() == 1 ? "" : "s") << " re-created\n";
      out.checkpoint = ids.front();
      return out;
    } catch (const TraceError& e) {
      last_error = e.what();
      kill_members(members, out.procs);
      if (checkpoint)
        throw Error("checkpoint " + std::to_string(*it) + " is unusable: " + e.what());
      std::cerr << "ckrr restart: checkpoint " << *it << " is unusable (" << e.what() << ")"
                << (it + 1 != plan.ids.rend() ? "; trying an earlier one" : "") << "\n";
    } catch (...) {
      kill_members(members, out.procs);
      throw;
    }
  }
  throw Error("no usable checkpoint in " + plan.trace_dir.string() +
              " (last problem: " + last_error + ")");
}

}  // namespace ckrr
