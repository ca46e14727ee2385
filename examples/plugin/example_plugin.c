/* An example ckrr plugin (Plugin API 1.0): it owns uname(2), taken over from the built-in
 * "sysinfo" plugin. Each successful uname call gets a number from the plugin's own counter, and
 * the program sees it in utsname.domainname as "ckrr-example-N":
 *  - record: after the kernel filled the struct, the plugin writes its domainname, captures the
 *    struct (replay writes it back) and attaches N to the event;
 *  - replay: the plugin counts again and writes the domainname from ITS counter; a count that
 *    differs from the recorded N is reported as a divergence. A replay that starts from a
 *    checkpoint therefore prints the right N only if the counter came back with the checkpoint;
 *  - checkpoints save the counter, and how many pre_checkpoint and resume hooks ran
 *    (save_state/restore_state);
 *  - `ckrr restart`: the restart hook prints "example plugin: restarted after call N as pid V"
 *    from inside the restored process (a write(2) made there), V being the pid the program was
 *    recorded with, asked of the virtual-id service.
 * It also registers an id kind "example.call" mapping each call number to the thread that made
 * it (its virtual tid); the table travels with checkpoints, and the restart hook reads it back.
 */
#include <ckrr/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#ifndef EXAMPLE_PLUGIN_VERSION
#define EXAMPLE_PLUGIN_VERSION "1.0"
#endif

#define TAG_COUNT 1000 /* our blob: the call's number, u64 */
/* The kernel's struct new_utsname: six fields of 65 bytes, domainname last. */
#define UTS_FIELD 65
#define UTS_SIZE (6 * UTS_FIELD)
#define UTS_DOMAIN (5 * UTS_FIELD)

struct example {
  const struct ckrr_host* host;
  /* The state, saved with checkpoints: */
  uint64_t calls;       /* successful uname calls so far */
  uint64_t checkpoints; /* pre_checkpoint hooks seen while recording */
  uint64_t resumes;     /* resume hooks seen while recording */
  int call_kind;        /* our virtual-id kind */
};

static const struct ckrr_claim claims[] = {
    {SYS_uname, CKRR_REPLAY_EMULATE, 1 /* take it over from the built-in */},
};

static void set_domain(struct example* e, struct ckrr_call* call, uint64_t n) {
  char name[UTS_FIELD];
  uint64_t addr = e->host->arg(call, 0) + UTS_DOMAIN;
  memset(name, 0, sizeof name);
  snprintf(name, sizeof name, "ckrr-example-%llu", (unsigned long long)n);
  e->host->write_memory(call, addr, name, sizeof name);
}

static void record_exit(void* self, struct ckrr_call* call) {
  struct example* e = self;
  if (e->host->result(call) != 0) return; /* failed (EFAULT): nothing written */
  uint64_t n = ++e->calls;
  set_domain(e, call, n);
  e->host->capture(call, e->host->arg(call, 0), UTS_SIZE);
  e->host->add_blob(call, TAG_COUNT, &n, sizeof n);
  e->host->id_map(e->host, e->call_kind, (int64_t)n, (int64_t)e->host->tid(call));
}

static void replay_exit(void* self, struct ckrr_call* call) {
  struct example* e = self;
  if (e->host->result(call) != 0) return;
  uint64_t n = ++e->calls, recorded = 0;
  if (e->host->get_blob(call, TAG_COUNT, &recorded, sizeof recorded) != sizeof recorded) {
    e->host->divergence(call, "example plugin: the recorded uname call has no count", "a count",
                        "none");
    return;
  }
  if (recorded != n) {
    char exp[32], act[32];
    snprintf(exp, sizeof exp, "call %llu", (unsigned long long)recorded);
    snprintf(act, sizeof act, "call %llu", (unsigned long long)n);
    e->host->divergence(call, "example plugin: uname call count", exp, act);
    return;
  }
  set_domain(e, call, n); /* from our state, over what the log wrote */
  e->host->id_map(e->host, e->call_kind, (int64_t)n, (int64_t)e->host->tid(call));
}

static size_t save_state(void* self, uint8_t* buf, size_t cap) {
  struct example* e = self;
  uint64_t s[3] = {e->calls, e->checkpoints, e->resumes};
  if (cap >= sizeof s) memcpy(buf, s, sizeof s);
  return sizeof s;
}

static int restore_state(void* self, const uint8_t* buf, size_t len) {
  struct example* e = self;
  uint64_t s[3];
  if (len != sizeof s) return -1;
  memcpy(s, buf, sizeof s);
  e->calls = s[0];
  e->checkpoints = s[1];
  e->resumes = s[2];
  return 0;
}

/* Runs before save_state: checkpoint K saves checkpoints = K, and resumes = K - 1. */
static void pre_checkpoint(void* self) {
  ((struct example*)self)->checkpoints++;
}

static void resume(void* self) {
  ((struct example*)self)->resumes++;
}

static int restart(void* self, struct ckrr_restart* r) {
  struct example* e = self;
  char text[160];
  int32_t vpid = (int32_t)e->host->id_to_virtual(e->host, CKRR_ID_PID, e->host->real_pid(r));
  /* The thread of the last call before the checkpoint, from the restored id table. */
  int64_t tid = e->host->id_to_real(e->host, e->call_kind, (int64_t)e->calls);
  int len = snprintf(text, sizeof text,
                     "example plugin: restarted after call %llu (made by thread %lld) as pid %d "
                     "from checkpoint %llu (resumed %llu times before)\n",
                     (unsigned long long)e->calls, (long long)tid, (int)vpid,
                     (unsigned long long)e->checkpoints, (unsigned long long)e->resumes);
  uint64_t addr = e->host->stage(r, text, (size_t)len);
  if (!addr) return -1;
  uint64_t args[6] = {1, addr, (uint64_t)len, 0, 0, 0};
  long got = e->host->remote_syscall(r, SYS_write, args);
  if (got != len) {
    e->host->log(e->host, "could not write the restart line in the restored process");
    return -1;
  }
  return 0;
}

static void destroy(void* self) {
  free(self);
}

__attribute__((visibility("default"))) int ckrr_plugin_init(const struct ckrr_host* host,
                                                            struct ckrr_plugin* p) {
  if (host->api_major != CKRR_PLUGIN_API_VERSION_MAJOR) return -1;
  struct example* e = calloc(1, sizeof *e);
  if (!e) return -1;
  e->host = host;
  e->call_kind = host->id_kind(host, "example.call");
  memset(p, 0, sizeof *p);
  p->api_major = CKRR_PLUGIN_API_VERSION_MAJOR;
  p->api_minor = CKRR_PLUGIN_API_VERSION_MINOR;
  p->name = "example";
  p->version = EXAMPLE_PLUGIN_VERSION;
  p->claims = claims;
  p->n_claims = sizeof claims / sizeof claims[0];
  p->self = e;
  p->destroy = destroy;
  p->record_exit = record_exit;
  p->replay_exit = replay_exit;
  p->save_state = save_state;
  p->restore_state = restore_state;
  p->pre_checkpoint = pre_checkpoint;
  p->resume = resume;
  p->restart = restart;
  return 0;
}
