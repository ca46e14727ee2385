#include "recorder/ProcessRestart.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>

#include "checkpoint/CheckpointRestorer.h"
#include "core/Error.h"
#include "core/ProcessLauncher.h"
#include "core/SeccompFilter.h"
#include "plugins/AgentChannel.h"
#include "plugins/PluginRegistry.h"
#include "plugins/ProcessState.h"
#include "recorder/FdReopener.h"
#include "recorder/LiveStateRestorer.h"
#include "recorder/PluginRestart.h"
#include "storage/LaunchInfo.h"
#include "storage/TimelineIndex.h"
#include "storage/TraceDirectory.h"

namespace ckrr {

bool recorder_running(pid_t pid) {
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
  std::string first, second;
  std::getline(cmdline, first, '\0');
  std::getline(cmdline, second, '\0');
  return cmdline && second == "record";
}

RestartPlan plan_restart(const std::filesystem::path& trace_dir,
                         std::optional<uint32_t> checkpoint) {
  RestartPlan plan;
  TraceDirectory trace = TraceDirectory::open(trace_dir);
  plan.trace_dir = trace.dir();
  plan.checkpoints_dir = trace.checkpoints_dir();
  plan.launch = LaunchInfo::load(trace.dir() / "launch");
  // The recorded getppid() answer was the recorder's pid, which the index names.
  bool complete = false;
  try {
    auto index = TimelineIndex::open(trace.index_db(), true);
    if (auto p = index->meta("recorder_pid")) plan.virtual_ppid = static_cast<pid_t>(std::stol(*p));
    complete = index->meta("complete").value_or("0") == "1";
  } catch (const std::exception&) {
    // A crashed recorder's index may be unreadable; getppid then answers the real parent.
  }
  // Two live copies of the program would share its files (and the restart truncates the ones
  // it appends to): refuse while the recording's own run goes on.
  if (!complete && plan.virtual_ppid > 0 && recorder_running(plan.virtual_ppid))
    throw Error("the recorder of " + trace.dir().string() + " (pid " +
                std::to_string(plan.virtual_ppid) +
                ") is still running its program; restart it once that has ended");

  plan.ids = list_checkpoints(trace.checkpoints_dir());
  if (checkpoint) {
    if (std::find(plan.ids.begin(), plan.ids.end(), *checkpoint) == plan.ids.end())
      throw Error("the recording has no checkpoint " + std::to_string(*checkpoint) +
                  " (see 'ckrr checkpoints " + trace.dir().string() + "')");
    plan.ids = {*checkpoint};
  }
  if (plan.ids.empty())
    throw Error("the recording " + trace.dir().string() +
                " has no checkpoint to restart from (record with --checkpoint-interval, or ask "
                "a running recorder with 'ckrr checkpoint TRACE')");

  int cpu = plan.launch.cpu;
  if (!pin_to_cpu(cpu)) {
    std::cerr << "ckrr restart: warning: CPU " << cpu
              << " (where the recording ran) is not available; cpuid results may differ\n";
    cpu = pin_to_current_cpu();
  }
  plan.registry = std::make_shared<PluginRegistry>(PluginRegistry::with_builtin_plugins());
  plan.ro.filter = build_seccomp_filter(plan.registry->allowed_syscalls());
  plan.ro.stdio_to_devnull = false;
  plan.ro.new_process_group = false;
  plan.ro.cpu = cpu;
  return plan;
}

void adopt_restored_process(RestoredProcess& p, uint32_t id, const RestartPlan& plan,
                            RestartedProcess& out,
                            const std::map<std::string, std::string>* substitutes) {
  // Which recorded tid each restored thread is (the capturing one first).
  const std::vector<ThreadPlace> places = p.manifest.thread_places();
  out.task = std::move(p.task);
  out.threads = std::move(p.threads);
  if (!out.threads.empty() && places.size() != out.threads.size() + 1)
    throw TraceError("checkpoint " + std::to_string(id) +
                     " has threads without their recorded tids");
  if (!out.threads.empty()) {
    out.ids.tids[static_cast<pid_t>(places[0].rec_tid)] = out.task->tid();
    for (size_t i = 0; i < out.threads.size(); ++i)
      out.ids.tids[static_cast<pid_t>(places[i + 1].rec_tid)] = out.threads[i]->tid();
  }
  ProcessState& proc = out.proc;
  const std::vector<uint8_t>* blob = p.manifest.blob("process");
  if (!blob || !proc.deserialize(*blob))
    throw TraceError("checkpoint " + std::to_string(id) + ": no process state");
  out.launch = plan.launch;
  out.virtual_ppid = plan.virtual_ppid;
  out.ids.virtual_pid = proc.recorded_pid ? proc.recorded_pid : plan.launch.pid;
  out.ids.real_pid = out.task->tid();
  std::map<int, int> std_of;
  for (const auto& [fd, e] : proc.fds)
    if (e.std_stream >= 0) std_of[fd] = e.std_stream;
  LiveKernelState live;
  if (const std::vector<uint8_t>* b = p.manifest.blob(kLiveKernelStateBlob))
    if (!live.deserialize(*b))
      throw TraceError("checkpoint " + std::to_string(id) + ": unreadable " + kLiveKernelStateBlob);
  std::vector<SavedFd> by_path;  // deleted files, timerfds... are LiveStateRestorer's
  for (const SavedFd& f : p.manifest.fds)
    if (!live.owns_fd(f.fd)) by_path.push_back(f);
  FdReopenResult fr = reopen_fds(*out.task, by_path, std_of, substitutes);
  for (const std::string& w :
       restore_live_kernel_state(*out.task, live, p.manifest.fds, out.ids, plan.trace_dir))
    fr.warnings.push_back(w);
  for (const std::string& w : fr.warnings) std::cerr << "ckrr restart: warning: " << w << "\n";
  for (const std::string& n : fr.notes) std::cerr << "ckrr restart: " << n << "\n";
  run_plugin_restart_hooks(*plan.registry, *out.task, p.manifest, out.ids);
  std::cerr << "ckrr restart: resuming from checkpoint " << id << " (after event " << p.manifest.seq
            << ") as pid " << out.ids.real_pid << "; the program keeps pid " << out.ids.virtual_pid
            << "\n";
  // Its agent (if any) stops buffering: the restarted program sees virtual ids, which only
  // the supervisor knows (getpid...), and nobody would read its records live.
  AgentChannel::set_mode_all(*out.task, AgentChannel::Mode::Off);
  out.manifest = std::move(p.manifest);
  out.checkpoint = id;
}

RestartedProcess restart_from_checkpoint(const std::filesystem::path& trace_dir,
                                         std::optional<uint32_t> checkpoint) {
  RestartPlan plan = plan_restart(trace_dir, checkpoint);
  CheckpointRestorer restorer(plan.checkpoints_dir);
  std::string last_error;
  for (auto it = plan.ids.rbegin(); it != plan.ids.rend(); ++it) {
    uint32_t id = *it;
    RestartedProcess out;
    try {
      RestoredProcess p = restorer.restore(id, plan.ro);
      if (p.manifest.blob(kGroupBlob)) {
        kill(p.task->tgid(), SIGKILL);
        for (auto& th : p.threads) th->wait();
        p.task->wait();
        throw TraceError("checkpoint " + std::to_string(id) +
                         " holds several processes: 'ckrr restart --record' of those is not "
                         "supported yet (plain 'ckrr restart' restarts them all)");
      }
      adopt_restored_process(p, id, plan, out, nullptr);
      return out;
    } catch (const TraceError& e) {
      last_error = e.what();
      if (out.task) {
        kill(out.task->tid(), SIGKILL);
        int st;
        for (auto& th : out.threads) waitpid(th->tid(), &st, __WALL);
        waitpid(out.task->tid(), &st, __WALL);
      }
      if (checkpoint) throw Error("checkpoint " + std::to_string(id) + " is unusable: " + e.what());
      std::cerr << "ckrr restart: checkpoint " << id << " is unusable (" << e.what() << ")"
                << (it + 1 != plan.ids.rend() ? "; trying an earlier one" : "") << "\n";
    }
  }
  throw Error("no usable checkpoint in " + plan.trace_dir.string() +
              " (last problem: " + last_error + ")");
}

}  // namespace ckrr
