/* ckrr Plugin API 1.0 - the reference.
 *
 * A ckrr plugin is a shared object (.so) that owns one kind of resource end to end: which
 * syscalls it records and how they replay, the state it keeps (saved with every checkpoint),
 * and what it does before a checkpoint, when the program resumes after one, and when
 * `ckrr restart` brings the program back from one. It is loaded with
 * `ckrr record --plugin PATH.so` (or CKRR_PLUGINS=a.so:b.so); the trace remembers the set
 * (name, version, path, SHA-256 of the .so) and `ckrr replay`, `ckrr debug` and `ckrr restart`
 * load the same set, refusing when it differs.
 *
 * This header is plain C (C99), independent of ckrr's sources; a plugin compiles against it
 * alone (installed as <ckrr/plugin.h>, found with find_package(ckrr) or pkg-config ckrr-plugin).
 * No C++ exception ever crosses it: host callbacks report failure through return values,
 * and a plugin reports a failure through ckrr_host.fail / ckrr_host.divergence.
 *
 * Versioning: a plugin sets api_major/api_minor to the values below. The host refuses a plugin
 * whose major differs from its own; a newer minor only adds fields at the end of the structs.
 *
 * Lifetime: the host calls ckrr_plugin_init once per session that needs an instance (record,
 * replay, a restart may each make one, and replay makes a new one whenever it rewinds); each
 * call must return a fresh instance (its own `self`), freed by `destroy`. All calls on one
 * instance come from one thread.
 *
 * See docs/PLUGINS.md for a walk-through and examples/plugin/ for a complete plugin.
 */
#ifndef CKRR_PLUGIN_H
#define CKRR_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CKRR_PLUGIN_API_VERSION_MAJOR 1
#define CKRR_PLUGIN_API_VERSION_MINOR 0

/* The symbol every plugin exports (see ckrr_plugin_init_fn below). */
#define CKRR_PLUGIN_INIT_SYMBOL "ckrr_plugin_init"

/* How replay reproduces a call. */
enum ckrr_replay_mode {
  /* Not run in replay: result and the memory captured at record come from the log. */
  CKRR_REPLAY_EMULATE = 0,
  /* Run again for real; its result must equal the recorded one (else ckrr reports a
   * divergence). */
  CKRR_REPLAY_REEXECUTE = 1,
  /* Run again for its effect on the process, then the recorded result and memory are forced. */
  CKRR_REPLAY_REEXECUTE_OVERRIDE = 2
};

/* One syscall number the plugin owns, and how it replays unless record_entry changes it.
 * Every number has exactly one owner. A claim on a number a built-in plugin owns is refused
 * (ckrr names both) unless `takeover` is 1: the plugin then replaces the built-in for that
 * number, in record and in replay (the built-in's handling of it is lost; `ckrr info` lists the
 * takeover). Two loaded plugins claiming one number are always refused. Calls ckrr's in-process
 * agent may run inside the program without a stop (read, pread64, the stat family, lseek,
 * clock_gettime, gettimeofday, time, the get*id calls, readlink, access, getdents64, fcntl) are
 * never given to a plugin: it would not see them. */
struct ckrr_claim {
  int nr;        /* x86-64 syscall number */
  int mode;      /* enum ckrr_replay_mode */
  int takeover;  /* 1: replace the built-in owner of nr */
};

/* One trapped syscall, as the host passes it to record_* and replay_* hooks. Opaque; valid only
 * during the hook. */
struct ckrr_call;
/* A restored process during the restart hook. Opaque; valid only during the hook. */
struct ckrr_restart;

/* Ids of the two kinds every host has (see ckrr_host.id_kind). */
#define CKRR_ID_PID 0
#define CKRR_ID_TID 1

/* What the host offers a plugin. Every function pointer is set. `host` arguments are the
 * pointer the plugin was given in ckrr_plugin_init. */
struct ckrr_host {
  uint32_t api_major, api_minor; /* the host's API version */
  uint32_t size;                 /* sizeof(struct ckrr_host) as the host knows it */

  /* --- The call (record_* and replay_* hooks) --- */
  /* 1 in replay, 0 when recording. */
  int (*replaying)(struct ckrr_call *call);
  /* The syscall number, and its arguments 0-5 as the program passed them. */
  long (*nr)(struct ckrr_call *call);
  uint64_t (*arg)(struct ckrr_call *call, int index);
  /* Record exit: the kernel's result (-errno on failure). Replay: the recorded result. */
  int64_t (*result)(struct ckrr_call *call);
  /* The thread as the program sees it (virtual tid), and the event's sequence number (replay
   * only: when recording, events are numbered once written, after the hooks; seq gives 0). */
  int32_t (*tid)(struct ckrr_call *call);
  uint64_t (*seq)(struct ckrr_call *call);
  /* Reads / writes the program's memory. Return 0, or -errno. A write at record exit must be
   * captured too (capture) for replay to see it. */
  int (*read_memory)(struct ckrr_call *call, uint64_t addr, void *buf, size_t len);
  int (*write_memory)(struct ckrr_call *call, uint64_t addr, const void *buf, size_t len);
  /* Record exit: saves the len bytes at addr (what the kernel, or the plugin, wrote there) in
   * the event; replay writes them back (EMULATE and REEXECUTE_OVERRIDE). */
  void (*capture)(struct ckrr_call *call, uint64_t addr, uint64_t len);
  /* Record entry: this call's replay mode (enum ckrr_replay_mode). */
  void (*set_mode)(struct ckrr_call *call, int mode);
  /* Record entry: do not run the call; the program gets `result`. */
  void (*skip)(struct ckrr_call *call, int64_t result);
  /* Record: attaches bytes to the event, under a tag the plugin picks (1000-1999 are reserved
   * for plugins; a plugin uses its own). Replay: get_blob copies at most cap bytes of the
   * first blob with that tag and returns its full length, or -1 when there is none. */
  void (*add_blob)(struct ckrr_call *call, uint16_t tag, const void *data, size_t len);
  int64_t (*get_blob)(struct ckrr_call *call, uint16_t tag, void *buf, size_t cap);
  /* Replay entry: the plugin did everything (memory, result); the host only sets the recorded
   * result. */
  void (*set_handled)(struct ckrr_call *call);
  /* Replay: the run differs from the recording. The host stops the replay after the hook
   * returns and reports it (event, what, expected, actual). Never hide one. */
  void (*divergence)(struct ckrr_call *call, const char *what, const char *expected,
                     const char *actual);
  /* Record: the call cannot be recorded faithfully; the recording stops with this reason
   * after the hook returns. */
  void (*fail)(struct ckrr_call *call, const char *reason);

  /* --- Restart hook --- */
  /* Runs syscall nr inside the restored process (stopped; its registers are put back after).
   * Returns the kernel's result (-errno on failure). */
  long (*remote_syscall)(struct ckrr_restart *r, long nr, const uint64_t args[6]);
  /* Copies len bytes (at most 2048) into ckrr's scratch area in the restored process and
   * returns their address there (for pointer arguments of remote_syscall), or 0 when too big.
   * Each call overwrites the previous staged bytes. */
  uint64_t (*stage)(struct ckrr_restart *r, const void *data, size_t len);
  /* The restored process's pid now, and the pid the program saw when recorded. */
  int32_t (*real_pid)(struct ckrr_restart *r);
  int32_t (*virtual_pid)(struct ckrr_restart *r);

  /* --- Virtual ids (any hook, and ckrr_plugin_init) --- */
  /* Registers a kind of id by name ("example.ticket"), or finds it when registered before;
   * returns its number (>= 2), or -1. CKRR_ID_PID and CKRR_ID_TID are the host's pid and tid
   * maps (read-only: id_map on them returns -1). The table of plugin kinds is saved with
   * every checkpoint and restored with it (replay from a checkpoint, restart). */
  int (*id_kind)(const struct ckrr_host *host, const char *name);
  /* Maps virtual <-> real for a kind (replacing any previous mapping of either). 0 or -1. */
  int (*id_map)(const struct ckrr_host *host, int kind, int64_t virtual_id, int64_t real_id);
  /* Translates; an id without a mapping is returned unchanged. */
  int64_t (*id_to_real)(const struct ckrr_host *host, int kind, int64_t virtual_id);
  int64_t (*id_to_virtual)(const struct ckrr_host *host, int kind, int64_t real_id);

  /* A message on ckrr's stderr, prefixed with the plugin's name. */
  void (*log)(const struct ckrr_host *host, const char *message);
};

/* What a plugin gives the host. ckrr_plugin_init fills it; any hook may be NULL (nothing to do).
 * `self` is passed back to every hook. */
struct ckrr_plugin {
  uint32_t api_major, api_minor; /* CKRR_PLUGIN_API_VERSION_MAJOR / _MINOR */
  const char *name;              /* unique, [a-z0-9._-]; names the plugin in traces */
  const char *version;           /* the plugin's own version: replay needs the same one */
  const struct ckrr_claim *claims; /* the syscalls it owns (static storage) */
  size_t n_claims;
  void *self;

  /* Frees the instance. */
  void (*destroy)(void *self);

  /* Record, at the call's entry (before the kernel runs it): may set_mode, skip, fail. */
  void (*record_entry)(void *self, struct ckrr_call *call);
  /* Record, after the kernel ran it: capture what it wrote, add blobs, update state. */
  void (*record_exit)(void *self, struct ckrr_call *call);
  /* Replay, before the host's action for the mode (EMULATE: write the log's memory; the
   * REEXECUTE modes: run it). set_handled skips that action. */
  void (*replay_entry)(void *self, struct ckrr_call *call);
  /* Replay, after that action: check, update state, report a divergence. */
  void (*replay_exit)(void *self, struct ckrr_call *call);

  /* Checkpoint state. save_state writes at most cap bytes to buf and returns the full size it
   * needs (the host calls it again with a bigger buffer when that is more than cap).
   * restore_state gets those bytes back (replay from a checkpoint, restart) and returns 0, or
   * -1 when it cannot use them (the host then refuses that checkpoint). */
  size_t (*save_state)(void *self, uint8_t *buf, size_t cap);
  int (*restore_state)(void *self, const uint8_t *buf, size_t len);

  /* Recording: just before a checkpoint saves the state (all threads stopped), and when the
   * program runs on after it. */
  void (*pre_checkpoint)(void *self);
  void (*resume)(void *self);
  /* `ckrr restart`: the process is restored (memory, threads, files reopened) and stopped;
   * restore_state has run. The plugin re-creates what it owns inside the process with
   * host->remote_syscall. Returns 0, or -1: the restart from this checkpoint fails. */
  int (*restart)(void *self, struct ckrr_restart *r);
};

/* The entry point: fills *plugin (name, version, claims, hooks, a fresh self) and returns 0, or
 * returns -1 when it cannot run with this host (e.g. host->api_major differs). */
typedef int (*ckrr_plugin_init_fn)(const struct ckrr_host *host, struct ckrr_plugin *plugin);

#ifdef __cplusplus
}
#endif

#endif /* CKRR_PLUGIN_H */
