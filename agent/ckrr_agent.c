/* libckrr_agent.so: loaded into every recorded process (LD_PRELOAD, set by ckrr record and kept
 * in the recorded environment, so replay loads the same bytes from the trace). It defines libc's
 * exported wrappers of hot, non-blocking syscalls; each one runs inside the app without a
 * ptrace stop:
 *   record: the call runs through the `syscall; ret` at CKRR_AGENT_SYSCALL_INSN (the seccomp
 *           filter lets it through) and its result and the bytes the kernel wrote are appended
 *           to the thread's slot (AgentAbi.h); the supervisor turns them into events at the
 *           thread's next stop;
 *   replay: nothing runs; the result and bytes come from the records the replayer filled in.
 *           A call that is not the next record (other number or arguments) is made as a trapped
 *           syscall, and the replayer reports the divergence against that record.
 * Anything else (no slot, slot full, a read of a non-regular file, agent off) is an ordinary
 * trapped syscall, as without the agent.
 *
 * Freestanding: raw syscalls only, no libc call on the syscall path (only __errno_location, a
 * TLS address, to set errno like the wrappers it replaces). Built with -mno-red-zone: the call
 * into the scratch page pushes a return address below the stack pointer. */
#include <stddef.h>
#include <stdint.h>

#include "AgentAbi.h"

#define CKRR_STR2(x) #x
#define CKRR_STR(x) CKRR_STR2(x)

#define NR_read 0
#define NR_stat 4
#define NR_fstat 5
#define NR_lstat 6
#define NR_lseek 8
#define NR_rt_sigprocmask 14
#define NR_pread64 17
#define NR_access 21
#define NR_gettimeofday 96
#define NR_getuid 102
#define NR_getgid 104
#define NR_geteuid 107
#define NR_getegid 108
#define NR_readlink 89
#define NR_fcntl 72
#define NR_getpid 39
#define NR_getppid 110
#define NR_gettid 186
#define NR_time 201
#define NR_clock_gettime 228
#define NR_getdents64 217
#define NR_newfstatat 262
#define NR_readlinkat 267
#define NR_faccessat 269
#define NR_statx 332
#define NR_faccessat2 439

#define KSTAT_SIZE 144 /* struct stat on x86-64 */
#define KSTATX_SIZE 256
#define S_IFMT_ 0170000
#define S_IFREG_ 0100000

#define EXPORT __attribute__((visibility("default")))

extern int* __errno_location(void);
extern int __register_atfork(void (*)(void), void (*)(void), void (*)(void), void*);

static __thread struct ckrr_agent_header* tls_slot __attribute__((tls_model("initial-exec")));
static __thread int tls_no_slot __attribute__((tls_model("initial-exec")));
static unsigned next_slot;

/* A syscall the supervisor sees (a seccomp stop, as without the agent). */
static long trapped(long nr, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

/* A syscall from the scratch page's `syscall; ret`: no stop. */
static long direct(long nr, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("call *%[fn]"
                   : "=a"(ret)
                   : "0"(nr), [fn] "r"(CKRR_AGENT_SYSCALL_INSN), "D"(a), "S"(b), "d"(c), "r"(r10),
                     "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static void copy(void* to, const void* from, uint64_t n) {
  volatile uint8_t* d = (volatile uint8_t*)to; /* volatile: no call to libc's memcpy */
  const uint8_t* s = (const uint8_t*)from;
  for (uint64_t i = 0; i < n; ++i) d[i] = s[i];
}

static void after_fork_in_child(void) {
  /* The child has its own copy of the parent's slot: it takes a slot of its own. */
  tls_slot = 0;
  tls_no_slot = 0;
}

__attribute__((constructor)) static void agent_init(void) {
  static char dso_marker;
  __register_atfork(0, 0, after_fork_in_child, &dso_marker);
}

__attribute__((visibility("hidden"))) long agent_syscall(long nr, long a0, long a1, long a2,
                                                         long a3, long a4, long a5);
/* The vDSO's entry points jump here (AgentAbi.h): raw results, like the vDSO. */
static long ckrr_vdso_clock_gettime(long clk, void* ts) {
  return agent_syscall(NR_clock_gettime, clk, (long)ts, 0, 0, 0, 0);
}
static long ckrr_vdso_gettimeofday(void* tv, void* tz) {
  return agent_syscall(NR_gettimeofday, (long)tv, (long)tz, 0, 0, 0, 0);
}
static long ckrr_vdso_time(long* t) {
  return agent_syscall(NR_time, (long)t, 0, 0, 0, 0, 0);
}

/* Patched syscall sites (AgentAbi.h) come here with the call's registers; every register but
 * rax (the result), rcx and r11 (which the kernel clobbers too) is kept. */
extern const unsigned char ckrr_stub_area[];
extern void ckrr_site_entry(void);
__attribute__((used, visibility("hidden"))) long ckrr_site_syscall(long nr, long a0, long a1,
                                                                   long a2, long a3, long a4,
                                                                   long a5) {
  return agent_syscall(nr, a0, a1, a2, a3, a4, a5);
}
__asm__(".text\n"
        ".p2align 6\n"
        ".globl ckrr_stub_area\n"
        ".hidden ckrr_stub_area\n"
        "ckrr_stub_area:\n"
        "  .quad 0\n"
        "  .fill " CKRR_STR(CKRR_AGENT_STUB_AREA_SIZE) " - 8, 1, 0xcc\n"
        ".p2align 4\n"
        ".globl ckrr_site_entry\n"
        ".hidden ckrr_site_entry\n"
        "ckrr_site_entry:\n"
        "  push %rbp\n"
        "  mov %rsp, %rbp\n"
        "  push %rdi\n"
        "  push %rsi\n"
        "  push %rdx\n"
        "  push %r10\n"
        "  push %r8\n"
        "  push %r9\n"
        "  push %rcx\n"
        "  push %r11\n"
        "  and $-16, %rsp\n"
        "  sub $8, %rsp\n"
        "  push %r9\n"
        "  mov %r8, %r9\n"
        "  mov %r10, %r8\n"
        "  mov %rdx, %rcx\n"
        "  mov %rsi, %rdx\n"
        "  mov %rdi, %rsi\n"
        "  mov %rax, %rdi\n"
        "  call ckrr_site_syscall\n"
        "  lea -64(%rbp), %rsp\n"
        "  pop %r11\n"
        "  pop %rcx\n"
        "  pop %r9\n"
        "  pop %r8\n"
        "  pop %r10\n"
        "  pop %rdx\n"
        "  pop %rsi\n"
        "  pop %rdi\n"
        "  pop %rbp\n"
        "  ret\n");

static struct ckrr_agent_header* slot(void) {
  if (tls_slot) return tls_slot;
  if (tls_no_slot) return 0;
  tls_no_slot = 1;
  unsigned idx = __atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED);
  if (idx >= CKRR_AGENT_SLOTS) return 0;
  long addr = (long)(CKRR_AGENT_REGION + idx * CKRR_AGENT_SLOT_SIZE);
  /* The supervisor maps the slot (CKRR_AGENT_OP_REGISTER_MAPPED). */
  struct ckrr_agent_vdso vdso[] = {
      {NR_clock_gettime, (uint64_t)ckrr_vdso_clock_gettime},
      {NR_gettimeofday, (uint64_t)ckrr_vdso_gettimeofday},
      {NR_time, (uint64_t)ckrr_vdso_time},
  };
  if (trapped(CKRR_AGENT_SYSCALL, CKRR_AGENT_OP_REGISTER_MAPPED, addr, (long)vdso, 3,
              (long)ckrr_stub_area, (long)ckrr_site_entry) != 0)
    return 0;
  struct ckrr_agent_header* h = (struct ckrr_agent_header*)addr;
  if (h->magic != CKRR_AGENT_MAGIC || h->version != CKRR_AGENT_VERSION) return 0;
  tls_no_slot = 0;
  tls_slot = h;
  return h;
}

struct out {
  uint64_t addr, len;
};

/* What the call wrote into the process (record), from its number, arguments and result. */
static int writes_of(long nr, const long* a, long ret, struct out* w) {
  if (ret < 0 && ret > -4096) return 0;
  switch (nr) {
    case NR_read:
    case NR_pread64:
    case NR_getdents64:
    case NR_readlink:
      w[0].addr = (uint64_t)a[1];
      w[0].len = (uint64_t)ret;
      return ret > 0;
    case NR_readlinkat:
      w[0].addr = (uint64_t)a[2];
      w[0].len = (uint64_t)ret;
      return ret > 0;
    case NR_fstat:
    case NR_stat:
    case NR_lstat:
      w[0].addr = (uint64_t)a[1];
      w[0].len = KSTAT_SIZE;
      return 1;
    case NR_newfstatat:
      w[0].addr = (uint64_t)a[2];
      w[0].len = KSTAT_SIZE;
      return 1;
    case NR_statx:
      w[0].addr = (uint64_t)a[4];
      w[0].len = KSTATX_SIZE;
      return 1;
    case NR_clock_gettime:
      w[0].addr = (uint64_t)a[1];
      w[0].len = 16;
      return a[1] != 0;
    case NR_gettimeofday: {
      int n = 0;
      if (a[0]) w[n].addr = (uint64_t)a[0], w[n++].len = 16;
      if (a[1]) w[n].addr = (uint64_t)a[1], w[n++].len = 8;
      return n;
    }
    case NR_time:
      w[0].addr = (uint64_t)a[0];
      w[0].len = 8;
      return a[0] != 0;
    default:
      return 0;
  }
}

/* The argument that is a path the call reads, or -1 (its record keeps it for display). */
static int path_arg(long nr) {
  switch (nr) {
    case NR_stat:
    case NR_lstat:
    case NR_readlink:
    case NR_access:
      return 0;
    case NR_newfstatat:
    case NR_statx:
    case NR_readlinkat:
    case NR_faccessat:
    case NR_faccessat2:
      return 1;
    default:
      return -1;
  }
}
#define PATH_KEPT_MAX 4096

/* The most bytes the call may write, to know before running it that its record fits. */
static uint64_t max_written(long nr, const long* a) {
  switch (nr) {
    case NR_read:
    case NR_pread64:
    case NR_getdents64:
    case NR_readlink:
      return (uint64_t)a[2];
    case NR_readlinkat:
      return (uint64_t)a[3];
    case NR_fstat:
    case NR_stat:
    case NR_lstat:
    case NR_newfstatat:
      return KSTAT_SIZE;
    case NR_statx:
      return KSTATX_SIZE;
    default:
      return 24;
  }
}

/* Record: whether a call may run without the supervisor. Only calls that cannot block: reads
 * and getdents of regular files and directories (an unrecorded fstat tells). */
static int may_run_here(long nr, const long* a) {
  if (nr == NR_fcntl) return a[1] == 1 || a[1] == 3; /* F_GETFD, F_GETFL: nothing changes */
  if (nr != NR_read && nr != NR_pread64 && nr != NR_getdents64) return 1;
  uint8_t st[KSTAT_SIZE];
  if (direct(NR_fstat, a[0], (long)st, 0, 0, 0, 0) != 0) return 0;
  uint32_t mode = *(uint32_t*)(st + 24); /* st_mode */
  uint64_t rdev = *(uint64_t*)(st + 40); /* st_rdev */
  if (nr == NR_getdents64) return (mode & S_IFMT_) == 0040000;
  /* Regular files, and the memory devices (major 1: null, zero, full, urandom), never wait. */
  return (mode & S_IFMT_) == S_IFREG_ ||
         ((mode & S_IFMT_) == 0020000 && ((rdev >> 8) & 0xfff) == 1);
}

static uint64_t pad8(uint64_t n) {
  return (n + 7) & ~7ull;
}

__attribute__((noinline)) static int record_call(struct ckrr_agent_header* h, long nr,
                                                 const long* a, long* ret) {
  uint64_t need = sizeof(struct ckrr_agent_record) + 3 * sizeof(struct ckrr_agent_write) +
                  pad8(max_written(nr, a)) + 16 + PATH_KEPT_MAX;
  if (h->used + need > h->capacity) return 0; /* full: a trapped call flushes it */
  if (!may_run_here(nr, a)) return 0;
  long r = direct(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  struct out w[2];
  int n = writes_of(nr, a, r, w);
  uint8_t* base = (uint8_t*)h + CKRR_AGENT_HEADER_SIZE + h->used;
  struct ckrr_agent_record* rec = (struct ckrr_agent_record*)base;
  uint64_t off = sizeof *rec;
  for (int i = 0; i < n; ++i) {
    struct ckrr_agent_write* cw = (struct ckrr_agent_write*)(base + off);
    cw->addr = w[i].addr;
    cw->len = w[i].len;
    copy(base + off + sizeof *cw, (const void*)w[i].addr, w[i].len);
    off += sizeof *cw + pad8(w[i].len);
  }
  const int pa = path_arg(nr);
  if (pa >= 0 && r != -14 /* EFAULT: the kernel could not read it either */) {
    /* The kernel read the string (up to its NUL, or PATH_MAX when too long): readable. */
    const char* p = (const char*)a[pa];
    uint64_t len = 0;
    while (len < PATH_KEPT_MAX && p[len]) ++len;
    struct ckrr_agent_write* cw = (struct ckrr_agent_write*)(base + off);
    cw->addr = (uint64_t)a[pa] | CKRR_AGENT_INPUT;
    cw->len = len;
    copy(base + off + sizeof *cw, p, len);
    off += sizeof *cw + pad8(len);
    ++n;
  }
  rec->kind = CKRR_AGENT_REC_SYSCALL;
  rec->nwrites = (uint16_t)n;
  rec->nr = nr;
  for (int i = 0; i < 6; ++i) rec->args[i] = (uint64_t)a[i];
  rec->result = r;
  rec->size = (uint32_t)off;
  /* Published last: the supervisor reads `used` at the thread's stops only, but a record is
   * whole before it counts. */
  __asm__ volatile("" ::: "memory"); /* the record is whole before it counts */
  h->count += 1;
  h->used += off;
  *ret = r;
  return 1;
}

__attribute__((noinline)) static int replay_call(struct ckrr_agent_header* h, long nr,
                                                 const long* a, long* ret) {
  if (h->consumed >= h->used) return 0;
  uint8_t* base = (uint8_t*)h + CKRR_AGENT_HEADER_SIZE + h->consumed;
  struct ckrr_agent_record* rec = (struct ckrr_agent_record*)base;
  if (rec->kind != CKRR_AGENT_REC_SYSCALL || rec->nr != nr) return 0;
  for (int i = 0; i < 6; ++i)
    if (rec->args[i] != (uint64_t)a[i]) return 0;
  uint64_t off = sizeof *rec;
  for (int i = 0; i < rec->nwrites; ++i) {
    struct ckrr_agent_write* cw = (struct ckrr_agent_write*)(base + off);
    if (!(cw->addr & CKRR_AGENT_INPUT)) copy((void*)cw->addr, base + off + sizeof *cw, cw->len);
    off += sizeof *cw + pad8(cw->len);
  }
  __asm__ volatile("" ::: "memory");
  h->consumed += rec->size;
  *ret = rec->result;
  return 1;
}

/* Runs on the slot's own stack (the rest of its header page): record and replay run different
 * code there, and what each leaves behind must not differ on the app's stack, where later
 * frames may read it uninitialized (and stack digests, which find preemption points, see it). */
__attribute__((noinline, used, visibility("hidden"))) int agent_body(struct ckrr_agent_header* h,
                                                                     long nr, const long* a,
                                                                     long* ret) {
  /* Off, or asked for a stop (stop_soon): the call is made trapped, as one replay has no
   * record for; decided here, on the slot's stack, so that the app's stack and registers do
   * not show which (a checkpoint taken at that stop holds them). */
  if (h->mode == CKRR_AGENT_RECORD)
    return *(volatile uint64_t*)&h->stop_soon ? 0 : record_call(h, nr, a, ret);
  return h->mode == CKRR_AGENT_REPLAY ? replay_call(h, nr, a, ret) : 0;
}

__attribute__((visibility("hidden"))) int ckrr_agent_on_stack(void* top,
                                                              struct ckrr_agent_header* h, long nr,
                                                              const long* a, long* ret);
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".type ckrr_agent_on_stack,@function\n"
    "ckrr_agent_on_stack:\n"
    "  push %rbp\n"
    "  mov %rsp, %rbp\n"
    "  mov %rdi, %rsp\n"
    "  mov %rsi, %rdi\n"
    "  mov %rdx, %rsi\n"
    "  mov %rcx, %rdx\n"
    "  mov %r8, %rcx\n"
    "  call agent_body\n"
    "  mov %rbp, %rsp\n"
    "  pop %rbp\n"
    "  ret\n"
    ".size ckrr_agent_on_stack, .-ckrr_agent_on_stack\n");

/* Signals are blocked while a record is written or taken (allowed syscalls, no stop), so a
 * handler never runs in the middle of one and a signal is delivered, in record and replay
 * alike, right after the unblocking call: the same instruction, registers and stack. */
__attribute__((used, visibility("hidden"))) long ckrr_agent_syscall_body(long nr, long a0, long a1,
                                                                         long a2, long a3, long a4,
                                                                         long a5) {
  struct ckrr_agent_header* h = slot();
  if (!h) return trapped(nr, a0, a1, a2, a3, a4, a5);
  /* Off (a thread an app's tracer follows, a vfork child on its parent's slot, a restarted
   * process) takes the path of a call replay has no record for: the same code either way
   * (agent_body decides). */
  long a[6] = {a0, a1, a2, a3, a4, a5};
  uint64_t all = ~0ull, old = 0;
  trapped(NR_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&all, (long)&old, 8, 0, 0);
  long r = 0;
  volatile uint64_t* busy = &h->busy;
  *busy = 1;
  __asm__ volatile("" ::: "memory");
  int done = ckrr_agent_on_stack((uint8_t*)h + CKRR_AGENT_HEADER_SIZE, h, nr, a, &r);
  __asm__ volatile("" ::: "memory");
  *busy = 0;
  trapped(NR_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&old, 0, 8, 0, 0);
  if (!done) r = trapped(nr, a0, a1, a2, a3, a4, a5);
  return r;
}

/* The registers the caller may not rely on are left zero: a call the replay makes trapped (no
 * record given, as under gdb) leaves other values there than one taken from the buffer, and
 * a later syscall's unused argument registers are compared with the recording. */
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl agent_syscall\n"
    ".hidden agent_syscall\n"
    ".type agent_syscall,@function\n"
    "agent_syscall:\n"
    "  push %rbp\n"
    "  mov %rsp, %rbp\n"
    "  sub $8, %rsp\n"
    "  pushq 16(%rbp)\n" /* a5, the seventh argument */
    "  call ckrr_agent_syscall_body\n"
    /* The agent's frames below are zeroed too: a call taken from the buffer and one made
     * trapped leave different bytes there, within the red zone of the caller's next stop,
     * which state digests read. 256 bytes: the body's frame and its calls use about 200. */
    "  mov %rax, %r11\n"
    "  lea -256(%rsp), %rdi\n"
    "  mov $32, %ecx\n"
    "  xor %eax, %eax\n"
    "  rep stosq\n"
    "  mov %r11, %rax\n"
    "  leave\n"
    "  xor %edi, %edi\n"
    "  xor %esi, %esi\n"
    "  xor %edx, %edx\n"
    "  xor %ecx, %ecx\n"
    "  xor %r8d, %r8d\n"
    "  xor %r9d, %r9d\n"
    "  xor %r10d, %r10d\n"
    "  xor %r11d, %r11d\n"
    "  ret\n"
    ".size agent_syscall, .-agent_syscall\n");

static long as_libc(long r) {
  if (r < 0 && r > -4096) {
    *__errno_location() = (int)-r;
    return -1;
  }
  return r;
}

#define CALL(nr, a, b, c, d, e) \
  as_libc(agent_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0))

EXPORT long read(int fd, void* buf, size_t n) {
  return CALL(NR_read, fd, buf, n, 0, 0);
}
EXPORT long pread64(int fd, void* buf, size_t n, long off) {
  return CALL(NR_pread64, fd, buf, n, off, 0);
}
EXPORT long pread(int fd, void* buf, size_t n, long off) __attribute__((alias("pread64")));
/* As glibc (2.33 and later) makes them: newfstatat, so that the calls are those the program
 * makes without the agent (strace shows the same). */
#define AT_FDCWD_ (-100)
#define AT_SYMLINK_NOFOLLOW_ 0x100
#define AT_EMPTY_PATH_ 0x1000
static const char empty_path[1] = "";
EXPORT int fstat(int fd, void* st) {
  return (int)CALL(NR_newfstatat, fd, empty_path, st, AT_EMPTY_PATH_, 0);
}
EXPORT int fstat64(int fd, void* st) __attribute__((alias("fstat")));
EXPORT int stat(const char* p, void* st) {
  return (int)CALL(NR_newfstatat, AT_FDCWD_, p, st, 0, 0);
}
EXPORT int stat64(const char* p, void* st) __attribute__((alias("stat")));
EXPORT int lstat(const char* p, void* st) {
  return (int)CALL(NR_newfstatat, AT_FDCWD_, p, st, AT_SYMLINK_NOFOLLOW_, 0);
}
EXPORT int lstat64(const char* p, void* st) __attribute__((alias("lstat")));
EXPORT int fstatat(int dfd, const char* p, void* st, int fl) {
  return (int)CALL(NR_newfstatat, dfd, p, st, fl, 0);
}
EXPORT int fstatat64(int dfd, const char* p, void* st, int fl) __attribute__((alias("fstatat")));
EXPORT int statx(int dfd, const char* p, int fl, unsigned mask, void* buf) {
  return (int)CALL(NR_statx, dfd, p, fl, mask, buf);
}
EXPORT long lseek(int fd, long off, int whence) {
  return CALL(NR_lseek, fd, off, whence, 0, 0);
}
EXPORT long lseek64(int fd, long off, int whence) __attribute__((alias("lseek")));
EXPORT int clock_gettime(int clk, void* ts) {
  return (int)CALL(NR_clock_gettime, clk, ts, 0, 0, 0);
}
EXPORT int gettimeofday(void* tv, void* tz) {
  return (int)CALL(NR_gettimeofday, tv, tz, 0, 0, 0);
}
EXPORT long time(long* t) {
  return agent_syscall(NR_time, (long)t, 0, 0, 0, 0, 0);
}
EXPORT unsigned getuid(void) {
  return (unsigned)agent_syscall(NR_getuid, 0, 0, 0, 0, 0, 0);
}
EXPORT unsigned geteuid(void) {
  return (unsigned)agent_syscall(NR_geteuid, 0, 0, 0, 0, 0, 0);
}
EXPORT unsigned getgid(void) {
  return (unsigned)agent_syscall(NR_getgid, 0, 0, 0, 0, 0, 0);
}
EXPORT unsigned getegid(void) {
  return (unsigned)agent_syscall(NR_getegid, 0, 0, 0, 0, 0, 0);
}
EXPORT int getpid(void) {
  return (int)agent_syscall(NR_getpid, 0, 0, 0, 0, 0, 0);
}
EXPORT int getppid(void) {
  return (int)agent_syscall(NR_getppid, 0, 0, 0, 0, 0, 0);
}
EXPORT int gettid(void) {
  return (int)agent_syscall(NR_gettid, 0, 0, 0, 0, 0, 0);
}
EXPORT long readlink(const char* p, char* buf, size_t n) {
  return CALL(NR_readlink, p, buf, n, 0, 0);
}
EXPORT long readlinkat(int dfd, const char* p, char* buf, size_t n) {
  return CALL(NR_readlinkat, dfd, p, buf, n, 0);
}
EXPORT int access(const char* p, int mode) {
  return (int)CALL(NR_access, p, mode, 0, 0, 0);
}
EXPORT int faccessat(int dfd, const char* p, int mode, int fl) {
  if (fl == 0) return (int)CALL(NR_faccessat, dfd, p, mode, 0, 0);
  return (int)CALL(NR_faccessat2, dfd, p, mode, fl, 0);
}
EXPORT long getdents64(int fd, void* buf, size_t n) {
  return CALL(NR_getdents64, fd, buf, n, 0, 0);
}

/* libc's syscall(): the calls above, made by number, go through the buffer too; any other
 * number is made exactly as libc's would (in asm: clone through syscall() returns on another
 * stack, so no frame may be popped after the instruction). */
__attribute__((used, visibility("hidden"))) const unsigned char ckrr_buffered_nr[512] = {
    [NR_read] = 1,          [NR_pread64] = 1,      [NR_fstat] = 1,      [NR_stat] = 1,
    [NR_lstat] = 1,         [NR_newfstatat] = 1,   [NR_statx] = 1,      [NR_lseek] = 1,
    [NR_clock_gettime] = 1, [NR_gettimeofday] = 1, [NR_time] = 1,       [NR_getuid] = 1,
    [NR_geteuid] = 1,       [NR_getgid] = 1,       [NR_getegid] = 1,    [NR_getpid] = 1,
    [NR_getppid] = 1,       [NR_gettid] = 1,       [NR_readlink] = 1,   [NR_readlinkat] = 1,
    [NR_access] = 1,        [NR_faccessat] = 1,    [NR_faccessat2] = 1, [NR_getdents64] = 1,
    [NR_fcntl] = 1,
};

__attribute__((used, visibility("hidden"))) long ckrr_buffered_syscall(long nr, long a0, long a1,
                                                                       long a2, long a3, long a4,
                                                                       long a5) {
  return as_libc(agent_syscall(nr, a0, a1, a2, a3, a4, a5));
}

__attribute__((used, visibility("hidden"))) long ckrr_syscall_error(long r) {
  return as_libc(r);
}

__asm__(
    ".text\n"
    ".globl syscall\n"
    ".type syscall,@function\n"
    ".p2align 4\n"
    "syscall:\n"
    "  cmp $511, %rdi\n"
    "  ja 1f\n"
    "  lea ckrr_buffered_nr(%rip), %rax\n"
    "  cmpb $0, (%rax,%rdi)\n"
    "  je 1f\n"
    "  jmp ckrr_buffered_syscall\n"
    "1:\n"
    "  mov %rdi, %rax\n"
    "  mov %rsi, %rdi\n"
    "  mov %rdx, %rsi\n"
    "  mov %rcx, %rdx\n"
    "  mov %r8, %r10\n"
    "  mov %r9, %r8\n"
    "  mov 8(%rsp), %r9\n"
    "  syscall\n"
    "  cmp $-4095, %rax\n"
    "  jae 2f\n"
    "  ret\n"
    "2:\n"
    "  mov %rax, %rdi\n"
    "  jmp ckrr_syscall_error\n"
    ".size syscall, .-syscall\n");

/* ---- rdtsc/rdtscp sites (AgentAbi.h, plugins/TscSites) ----
 * A patched site's stub calls ckrr_tsc_entry with rdx = the site, eax = the instruction's
 * length. The agent cannot execute rdtsc (it traps like the app's), so:
 *   record: the value is CLOCK_MONOTONIC (a syscall through the scratch page, no stop) on the
 *           process's TSC scale (ckrr_tsc_state, which the trapped path uses too), above the
 *           last value given; it is appended to the slot as a CKRR_AGENT_REC_TSC record;
 *   replay: the value is the next record's, which must be a time-stamp read at this site.
 * Anything else (no slot, agent off, slot full, another record next) executes a real
 * rdtsc/rdtscp here, which traps and stands for the site (rdi, rsi, r8: AgentAbi.h); in replay
 * the supervisor then reports the record not taken as a divergence. */

static uint64_t tsc_trapped(uint64_t site, uint64_t len, uint64_t* aux) {
  register uint64_t r8 __asm__("r8") = CKRR_TSC_FALLBACK_MAGIC;
  uint32_t lo, hi, c = 0;
  if (len == 3)
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c) : "D"(site), "S"(len), "r"(r8));
  else
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : "D"(site), "S"(len), "r"(r8));
  if (len == 3) *aux = c;
  return ((uint64_t)hi << 32) | lo;
}

static uint64_t tsc_now(void) {
  struct ckrr_tsc_state* st = (struct ckrr_tsc_state*)CKRR_TSC_STATE;
  long ts[2] = {0, 0};
  direct(NR_clock_gettime, 1 /* CLOCK_MONOTONIC */, (long)ts, 0, 0, 0, 0);
  uint64_t ns = (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];
  uint64_t d = ns > st->base_ns ? ns - st->base_ns : 0;
  uint64_t v = st->base_tsc + (uint64_t)(((unsigned __int128)d * st->mult) >> 32);
  if (v <= st->floor) v = st->floor + 1;
  return v;
}

__attribute__((noinline, used, visibility("hidden"))) int tsc_body(struct ckrr_agent_header* h,
                                                                   uint64_t site, uint64_t len,
                                                                   uint64_t* val, uint64_t* aux) {
  struct ckrr_tsc_state* st = (struct ckrr_tsc_state*)CKRR_TSC_STATE;
  if (st->magic != CKRR_TSC_MAGIC || h->mode == CKRR_AGENT_OFF) return 0;
  if (h->mode == CKRR_AGENT_RECORD) {
    const uint64_t v = tsc_now();
    /* The supervisor empties the slot at any stop of the thread, which may come between any
     * two instructions here (a tick): the record counts only through one compare-and-swap of
     * `used` from the offset it was written at; if the slot was emptied meanwhile, it is
     * written again at the new offset. */
    for (;;) {
      uint64_t u = __atomic_load_n(&h->used, __ATOMIC_RELAXED);
      if (u + sizeof(struct ckrr_agent_record) > h->capacity) return 0;
      struct ckrr_agent_record* rec =
          (struct ckrr_agent_record*)((uint8_t*)h + CKRR_AGENT_HEADER_SIZE + u);
      rec->kind = CKRR_AGENT_REC_TSC;
      rec->nwrites = 0;
      rec->nr = (int64_t)len;
      rec->args[0] = site;
      rec->args[1] = len == 3 ? st->aux : 0;
      for (int i = 2; i < 6; ++i) rec->args[i] = 0;
      rec->result = (int64_t)v;
      rec->size = sizeof *rec;
      if (__atomic_compare_exchange_n(&h->used, &u, u + sizeof *rec, 0, __ATOMIC_RELEASE,
                                      __ATOMIC_RELAXED))
        break;
    }
    __atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
    st->floor = v;
    *val = v;
    if (len == 3) *aux = st->aux;
    return 1;
  }
  if (h->consumed >= h->used) return 0;
  struct ckrr_agent_record* rec =
      (struct ckrr_agent_record*)((uint8_t*)h + CKRR_AGENT_HEADER_SIZE + h->consumed);
  if (rec->kind != CKRR_AGENT_REC_TSC || rec->nr != (int64_t)len || rec->args[0] != site) return 0;
  __asm__ volatile("" ::: "memory");
  h->consumed += rec->size;
  st->floor = (uint64_t)rec->result;
  *val = (uint64_t)rec->result;
  if (len == 3) *aux = rec->args[1];
  return 1;
}

__attribute__((visibility("hidden"))) int ckrr_tsc_on_stack(void* top, struct ckrr_agent_header* h,
                                                            uint64_t site, uint64_t len,
                                                            uint64_t* val, uint64_t* aux);
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".type ckrr_tsc_on_stack,@function\n"
    "ckrr_tsc_on_stack:\n"
    "  push %rbp\n"
    "  mov %rsp, %rbp\n"
    "  mov %rdi, %rsp\n"
    "  mov %rsi, %rdi\n"
    "  mov %rdx, %rsi\n"
    "  mov %rcx, %rdx\n"
    "  mov %r8, %rcx\n"
    "  mov %r9, %r8\n"
    "  call tsc_body\n"
    "  mov %rbp, %rsp\n"
    "  pop %rbp\n"
    "  ret\n"
    ".size ckrr_tsc_on_stack, .-ckrr_tsc_on_stack\n");

/* Signals are blocked around the record, as for buffered calls (agent_syscall). */
__attribute__((used, visibility("hidden"))) uint64_t ckrr_tsc_read(uint64_t site, uint64_t len,
                                                                   uint64_t* aux) {
  struct ckrr_agent_header* h = slot();
  /* (Off: the path of a read replay has no record for, as agent_syscall does.) */
  if (!h) return tsc_trapped(site, len, aux);
  uint64_t all = ~0ull, old = 0, v = 0;
  trapped(NR_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&all, (long)&old, 8, 0, 0);
  int done = ckrr_tsc_on_stack((uint8_t*)h + CKRR_AGENT_HEADER_SIZE, h, site, len, &v, aux);
  trapped(NR_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&old, 0, 8, 0, 0);
  if (!done) v = tsc_trapped(site, len, aux);
  return v;
}

/* Keeps every register but rax, rdx (the value, upper halves zero as rdtsc leaves them) and,
 * for rdtscp, rcx (aux); the flags too. The rcx slot is the aux out-parameter, so rdtsc gets
 * its own rcx back. */
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl ckrr_tsc_entry\n" /* exported: the supervisor looks it up */
    ".type ckrr_tsc_entry,@function\n"
    "ckrr_tsc_entry:\n"
    "  pushfq\n"
    "  push %rbp\n"
    "  mov %rsp, %rbp\n"
    "  push %rcx\n"
    "  push %rsi\n"
    "  push %rdi\n"
    "  push %r8\n"
    "  push %r9\n"
    "  push %r10\n"
    "  push %r11\n"
    "  and $-16, %rsp\n"
    "  cld\n"
    "  mov %rdx, %rdi\n"
    "  mov %rax, %rsi\n"
    "  lea -8(%rbp), %rdx\n"
    "  call ckrr_tsc_read\n"
    "  mov %rax, %rdx\n"
    "  shr $32, %rdx\n"
    "  mov %eax, %eax\n"
    "  lea -56(%rbp), %rsp\n"
    "  pop %r11\n"
    "  pop %r10\n"
    "  pop %r9\n"
    "  pop %r8\n"
    "  pop %rdi\n"
    "  pop %rsi\n"
    "  pop %rcx\n"
    "  pop %rbp\n"
    "  popfq\n"
    "  ret\n"
    ".size ckrr_tsc_entry, .-ckrr_tsc_entry\n");
