#include "plugins/ExternalPlugin.h"

#include <dlfcn.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>

#include "ckrr/plugin.h"
#include "core/Error.h"
#include "core/RemoteSyscall.h"
#include "core/Sha256.h"
#include "plugins/PluginRegistry.h"
#include "plugins/VirtualIdTable.h"

// The opaque handles of the C API: what one hook call may touch. Errors a plugin reports are
// kept here and thrown by the adapter once the plugin's function has returned (no exception
// crosses the C boundary).
struct ckrr_call {
  ckrr::SyscallContext* ctx = nullptr;
  bool diverged = false, failed = false, handled = false;
  std::string what, expected, actual, reason;
};
struct ckrr_restart {
  ckrr::RestartContext* ctx = nullptr;
};

namespace ckrr {

namespace {

struct Library {
  void* handle = nullptr;
  ckrr_plugin_init_fn init = nullptr;
  LoadedPluginInfo info;
};
std::vector<Library>& libraries() {
  static std::vector<Library> libs;
  return libs;
}
std::vector<LoadedPluginInfo>& infos() {
  static std::vector<LoadedPluginInfo> v;
  return v;
}

// What every host callback can find from the host pointer a plugin got.
struct HostBlock {
  ckrr_host host{};  // first: the plugin's pointer is this block's
  VirtualIdTable* ids = nullptr;
  std::string name;
};
VirtualIdTable* ids_of(const ckrr_host* h) {
  return reinterpret_cast<const HostBlock*>(h)->ids;
}

int cb_replaying(ckrr_call* c) {
  return c->ctx->session.replaying() ? 1 : 0;
}
long cb_nr(ckrr_call* c) {
  return c->ctx->nr;
}
uint64_t cb_arg(ckrr_call* c, int i) {
  return i >= 0 && i < 6 ? c->ctx->args[i] : 0;
}
int64_t cb_result(ckrr_call* c) {
  return c->ctx->session.replaying() ? c->ctx->event.result : c->ctx->result;
}
int32_t cb_tid(ckrr_call* c) {
  return c->ctx->event.tid;
}
uint64_t cb_seq(ckrr_call* c) {
  return c->ctx->event.seq;
}
int cb_read_memory(ckrr_call* c, uint64_t addr, void* buf, size_t len) {
  return c->ctx->task.try_read(addr, buf, len) ? 0 : -EFAULT;
}
int cb_write_memory(ckrr_call* c, uint64_t addr, const void* buf, size_t len) {
  try {
    c->ctx->task.write(addr, buf, len);
    return 0;
  } catch (const std::exception&) {
    return -EFAULT;
  }
}
void cb_capture(ckrr_call* c, uint64_t addr, uint64_t len) {
  try {
    c->ctx->capture(addr, len);
  } catch (const std::exception& e) {
    c->failed = true;
    c->reason = std::string("capture failed: ") + e.what();
  }
}
void cb_set_mode(ckrr_call* c, int mode) {
  if (mode >= CKRR_REPLAY_EMULATE && mode <= CKRR_REPLAY_REEXECUTE_OVERRIDE)
    c->ctx->event.mode = static_cast<ReplayMode>(mode);
}
void cb_skip(ckrr_call* c, int64_t result) {
  c->ctx->skip = true;
  c->ctx->forced_result = result;
}
void cb_add_blob(ckrr_call* c, uint16_t tag, const void* data, size_t len) {
  c->ctx->event.add_blob(tag, data, len);
}
int64_t cb_get_blob(ckrr_call* c, uint16_t tag, void* buf, size_t cap) {
  const Blob* b = c->ctx->event.find_blob(tag);
  if (!b) return -1;
  if (buf && cap) std::memcpy(buf, b->data.data(), std::min(cap, b->data.size()));
  return static_cast<int64_t>(b->data.size());
}
void cb_set_handled(ckrr_call* c) {
  c->handled = true;
}
void cb_divergence(ckrr_call* c, const char* what, const char* expected, const char* actual) {
  if (c->diverged) return;  // the first one is reported
  c->diverged = true;
  c->what = what ? what : "";
  c->expected = expected ? expected : "";
  c->actual = actual ? actual : "";
}
void cb_fail(ckrr_call* c, const char* reason) {
  c->failed = true;
  c->reason = reason ? reason : "";
}
long cb_remote_syscall(ckrr_restart* r, long nr, const uint64_t a[6]) {
  try {
    return remote_syscall(r->ctx->task, nr, {a[0], a[1], a[2], a[3], a[4], a[5]});
  } catch (const std::exception&) {
    return -EIO;
  }
}
uint64_t cb_stage(ckrr_restart* r, const void* data, size_t len) {
  if (len > 2048) return 0;
  try {
    r->ctx->task.write(kScratchDataAddr, data, len);
    return kScratchDataAddr;
  } catch (const std::exception&) {
    return 0;
  }
}
int32_t cb_real_pid(ckrr_restart* r) {
  return r->ctx->real_pid;
}
int32_t cb_virtual_pid(ckrr_restart* r) {
  return r->ctx->virtual_pid;
}
int cb_id_kind(const ckrr_host* h, const char* name) {
  return name ? ids_of(h)->kind(name) : -1;
}
int cb_id_map(const ckrr_host* h, int kind, int64_t v, int64_t r) {
  return ids_of(h)->map(kind, v, r) ? 0 : -1;
}
int64_t cb_id_to_real(const ckrr_host* h, int kind, int64_t v) {
  return ids_of(h)->to_real(kind, v);
}
int64_t cb_id_to_virtual(const ckrr_host* h, int kind, int64_t r) {
  return ids_of(h)->to_virtual(kind, r);
}
void cb_log(const ckrr_host* h, const char* msg) {
  std::cerr << "ckrr: plugin " << reinterpret_cast<const HostBlock*>(h)->name << ": "
            << (msg ? msg : "") << "\n";
}

std::unique_ptr<HostBlock> make_host(VirtualIdTable* ids, const std::string& name) {
  auto b = std::make_unique<HostBlock>();
  ckrr_host& h = b->host;
  h.api_major = CKRR_PLUGIN_API_VERSION_MAJOR;
  h.api_minor = CKRR_PLUGIN_API_VERSION_MINOR;
  h.size = sizeof(ckrr_host);
  h.replaying = cb_replaying;
  h.nr = cb_nr;
  h.arg = cb_arg;
  h.result = cb_result;
  h.tid = cb_tid;
  h.seq = cb_seq;
  h.read_memory = cb_read_memory;
  h.write_memory = cb_write_memory;
  h.capture = cb_capture;
  h.set_mode = cb_set_mode;
  h.skip = cb_skip;
  h.add_blob = cb_add_blob;
  h.get_blob = cb_get_blob;
  h.set_handled = cb_set_handled;
  h.divergence = cb_divergence;
  h.fail = cb_fail;
  h.remote_syscall = cb_remote_syscall;
  h.stage = cb_stage;
  h.real_pid = cb_real_pid;
  h.virtual_pid = cb_virtual_pid;
  h.id_kind = cb_id_kind;
  h.id_map = cb_id_map;
  h.id_to_real = cb_id_to_real;
  h.id_to_virtual = cb_id_to_virtual;
  h.log = cb_log;
  b->ids = ids;
  b->name = name;
  return b;
}

// One instance of a loaded plugin.
class ExternalPlugin : public Plugin {
 public:
  ExternalPlugin(const Library& lib, VirtualIdTable* ids)
      : host_(make_host(ids, lib.info.name)), path_(lib.info.path) {
    if (lib.init(&host_->host, &p_) != 0 || !p_.name)
      throw Error("plugin " + path_ + ": ckrr_plugin_init failed");
    for (size_t i = 0; i < p_.n_claims; ++i) {
      const ckrr_claim& c = p_.claims[i];
      if (c.mode < CKRR_REPLAY_EMULATE || c.mode > CKRR_REPLAY_REEXECUTE_OVERRIDE)
        throw Error("plugin " + path_ + ": bad replay mode in its claim of syscall " +
                    std::to_string(c.nr));
      claims_.push_back({c.nr, static_cast<ReplayMode>(c.mode), c.takeover != 0});
    }
  }
  ~ExternalPlugin() override {
    if (p_.destroy) p_.destroy(p_.self);
  }
  const char* name() const override { return p_.name; }
  std::vector<SyscallClaim> claims() const override { return claims_; }

  void record_entry(SyscallContext& ctx) override { call(p_.record_entry, ctx); }
  void record_exit(SyscallContext& ctx) override { call(p_.record_exit, ctx); }
  void replay_entry(SyscallContext& ctx) override {
    ckrr_call c = call(p_.replay_entry, ctx);
    if (c.handled) {
      // Skipped, with the recorded result; the log's memory is not written.
      Registers r = ctx.task.regs();
      r.orig_rax = static_cast<uint64_t>(-1);
      r.rax = static_cast<uint64_t>(ctx.event.result);
      ctx.task.set_regs(r);
      ctx.handled = true;
    }
  }
  void replay_exit(SyscallContext& ctx) override { call(p_.replay_exit, ctx); }

  void save_state(std::vector<uint8_t>& out) const override {
    out.clear();
    if (!p_.save_state) return;
    size_t need = p_.save_state(p_.self, nullptr, 0);
    out.resize(need);
    size_t got = p_.save_state(p_.self, out.data(), out.size());
    if (got != need) throw Error(std::string("plugin ") + p_.name + ": save_state changed size");
  }
  void restore_state(const std::vector<uint8_t>& in) override {
    if (p_.restore_state && p_.restore_state(p_.self, in.data(), in.size()) != 0)
      throw TraceError(std::string("plugin ") + p_.name + " could not restore its state");
  }
  void pre_checkpoint() override {
    if (p_.pre_checkpoint) p_.pre_checkpoint(p_.self);
  }
  void resume() override {
    if (p_.resume) p_.resume(p_.self);
  }
  void on_restart(RestartContext& r) override {
    if (!p_.restart) return;
    ckrr_restart h{&r};
    if (p_.restart(p_.self, &h) != 0)
      throw TraceError(std::string("plugin ") + p_.name + ": its restart hook failed");
  }

 private:
  ckrr_call call(void (*fn)(void*, ckrr_call*), SyscallContext& ctx) {
    ckrr_call c;
    c.ctx = &ctx;
    if (!fn) return c;
    fn(p_.self, &c);
    if (c.diverged)
      throw Divergence(ctx.event.seq, ctx.event.tid,
                       std::string("plugin ") + p_.name + ": " + c.what, c.expected, c.actual);
    if (c.failed) throw Unsupported(std::string("plugin ") + p_.name + ": " + c.reason);
    return c;
  }

  std::unique_ptr<HostBlock> host_;
  std::string path_;
  ckrr_plugin p_{};
  std::vector<SyscallClaim> claims_;
};

Library open_library(const std::string& path) {
  Library lib;
  lib.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib.handle) throw Error("plugin " + path + ": cannot load it: " + dlerror());
  lib.init = reinterpret_cast<ckrr_plugin_init_fn>(dlsym(lib.handle, CKRR_PLUGIN_INIT_SYMBOL));
  if (!lib.init)
    throw Error("plugin " + path + ": no " + CKRR_PLUGIN_INIT_SYMBOL +
                " symbol (not a ckrr plugin?)");
  // A probe instance: its version, name and claims, then freed.
  VirtualIdTable ids;
  auto host = make_host(&ids, path);
  ckrr_plugin p{};
  if (lib.init(&host->host, &p) != 0)
    throw Error("plugin " + path + ": ckrr_plugin_init refused this ckrr (plugin API " +
                std::to_string(CKRR_PLUGIN_API_VERSION_MAJOR) + "." +
                std::to_string(CKRR_PLUGIN_API_VERSION_MINOR) + ")");
  if (p.api_major != CKRR_PLUGIN_API_VERSION_MAJOR) {
    if (p.destroy) p.destroy(p.self);
    throw Error("plugin " + path + " was built for plugin API " + std::to_string(p.api_major) +
                "." + std::to_string(p.api_minor) + "; this ckrr has plugin API " +
                std::to_string(CKRR_PLUGIN_API_VERSION_MAJOR) + "." +
                std::to_string(CKRR_PLUGIN_API_VERSION_MINOR) +
                " (the major version must match: rebuild the plugin against this ckrr's "
                "<ckrr/plugin.h>)");
  }
  std::string name = p.name ? p.name : "", version = p.version ? p.version : "";
  if (p.destroy) p.destroy(p.self);
  if (name.empty() || name.find_first_of(" \t\n") != std::string::npos)
    throw Error("plugin " + path + ": bad or missing name");
  lib.info = {name, version, path, Sha256::hex_of_file(path)};
  return lib;
}

}  // namespace

void load_plugins(const std::vector<std::string>& paths) {
  std::vector<Library> libs;
  for (const std::string& p : paths) {
    if (p.empty()) continue;
    Library lib = open_library(p);
    for (const Library& o : libs)
      if (o.info.name == lib.info.name)
        throw Error("plugin " + lib.info.name + " given twice (" + o.info.path + ", " + p + ")");
    libs.push_back(std::move(lib));
  }
  libraries() = std::move(libs);  // handles are never closed: instances may still run
  infos().clear();
  for (const Library& l : libraries()) infos().push_back(l.info);
  // Clashes (two plugins on one syscall, a built-in's without takeover) are found now.
  if (!libraries().empty()) PluginRegistry::with_builtin_plugins();
}

const std::vector<LoadedPluginInfo>& loaded_plugins() {
  return infos();
}

void add_loaded_plugins(PluginRegistry& r) {
  if (libraries().empty()) return;
  auto table = std::make_unique<VirtualIdTable>();
  VirtualIdTable* ids = table.get();
  r.add(std::move(table));
  for (const Library& l : libraries()) r.add(std::make_unique<ExternalPlugin>(l, ids), true);
}

std::string plugins_meta_text(const std::vector<LoadedPluginInfo>& set) {
  std::string s;
  for (const LoadedPluginInfo& p : set)
    s += p.name + "\t" + p.version + "\t" + p.sha256 + "\t" + p.path + "\n";
  return s;
}

std::vector<LoadedPluginInfo> parse_plugins_meta(const std::string& text) {
  std::vector<LoadedPluginInfo> out;
  std::istringstream s(text);
  std::string line;
  while (std::getline(s, line)) {
    if (line.empty()) continue;
    LoadedPluginInfo p;
    std::istringstream f(line);
    std::getline(f, p.name, '\t');
    std::getline(f, p.version, '\t');
    std::getline(f, p.sha256, '\t');
    std::getline(f, p.path);
    out.push_back(p);
  }
  return out;
}

std::string plugin_set_difference(const std::vector<LoadedPluginInfo>& recorded,
                                  const std::vector<LoadedPluginInfo>& loaded,
                                  std::string* warning) {
  std::string diff;
  auto add = [&](const std::string& s) { diff += (diff.empty() ? "" : "; ") + s; };
  for (const LoadedPluginInfo& r : recorded) {
    const LoadedPluginInfo* l = nullptr;
    for (const LoadedPluginInfo& x : loaded)
      if (x.name == r.name) l = &x;
    if (!l) {
      add("plugin " + r.name + " " + r.version + " (recorded from " + r.path + ") is not loaded");
    } else if (l->version != r.version) {
      add("plugin " + r.name + " is version " + l->version + " (" + l->path +
          ") but the recording used version " + r.version);
    } else if (warning && l->sha256 != r.sha256) {
      *warning += "plugin " + r.name + " " + r.version + " (" + l->path +
                  ") differs from the recorded .so (another build of the same version)\n";
    }
  }
  for (const LoadedPluginInfo& l : loaded) {
    bool known = false;
    for (const LoadedPluginInfo& r : recorded) known = known || r.name == l.name;
    if (!known)
      add("plugin " + l.name + " " + l.version + " (" + l.path + ") was not loaded when recording");
  }
  return diff;
}

}  // namespace ckrr
