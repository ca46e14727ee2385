// One probe per group of syscalls (argv[1] names it), each checking what the kernel does and
// printing only what is the same in every run (no ids, addresses or times), so a native run,
// the recording and its replays can be compared byte for byte.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/perf_event.h>
#include <linux/bpf.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <linux/audit.h>
#include <elf.h>
#include <sys/auxv.h>
#include <time.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/timex.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sendfile.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <netinet/in.h>
#include <unistd.h>

#define CHECK(what, expr)                                                   \
  do {                                                                      \
    long r_ = (long)(expr);                                                 \
    printf("%s: %s\n", what, r_ < 0 ? strerrorname_np(errno) : "ok");       \
  } while (0)

static char dir[256];

static void sysv(void) {
  // Message queue.
  int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  struct { long type; char text[32]; } m = {7, "hello queue"}, in;
  CHECK("msgsnd", msgsnd(q, &m, sizeof m.text, 0));
  memset(&in, 0, sizeof in);
  long n = msgrcv(q, &in, sizeof in.text, 0, 0);
  printf("msgrcv: %ld type %ld '%s'\n", n, in.type, in.text);
  struct msqid_ds qs;
  msgctl(q, IPC_STAT, &qs);
  printf("msgctl: qnum %lu\n", (unsigned long)qs.msg_qnum);
  printf("msgrcv nowait: %s\n", msgrcv(q, &in, 32, 0, IPC_NOWAIT) < 0 ? strerrorname_np(errno) : "?");
  msgctl(q, IPC_RMID, NULL);
  // Semaphores, with a child waiting on one.
  int s = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
  unsigned short vals[3] = {1, 2, 3}, got[3] = {0};
  semctl(s, 0, SETALL, vals);
  semctl(s, 0, GETALL, got);
  printf("semctl GETALL: %u %u %u\n", got[0], got[1], got[2]);
  pid_t c = fork();
  if (c == 0) {
    struct sembuf down = {2, -4, 0};
    int r = semop(s, &down, 1);  // waits for the parent's +1
    printf("child semop: %d value %d\n", r, semctl(s, 2, GETVAL));
    fflush(stdout);
    _exit(0);
  }
  usleep(20000);
  struct sembuf up = {2, 1, 0};
  semop(s, &up, 1);
  waitpid(c, NULL, 0);
  struct semid_ds ss;
  semctl(s, 0, IPC_STAT, &ss);
  printf("semctl IPC_STAT: nsems %lu\n", (unsigned long)ss.sem_nsems);
  semctl(s, 0, IPC_RMID);
  // Shared memory written by a child, read by the parent.
  int h = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
  char* p = shmat(h, NULL, 0);
  strcpy(p, "parent");
  c = fork();
  if (c == 0) {
    char* q2 = shmat(h, NULL, 0);
    printf("child sees: %s\n", q2);
    fflush(stdout);
    strcpy(q2 + 4096, "written by the child");
    shmdt(q2);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("parent sees: %s\n", p + 4096);
  struct shmid_ds hs;
  shmctl(h, IPC_STAT, &hs);
  printf("shmctl: size %zu nattch %lu\n", hs.shm_segsz, (unsigned long)hs.shm_nattch);
  CHECK("shmdt", shmdt(p));
  shmctl(h, IPC_RMID, NULL);
}

// A SysV segment a child writes while checkpoints are taken, detached and attached again.
static void sysv_checkpoints(void) {
  int h = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
  char* p = shmat(h, NULL, 0);
  strcpy(p, "parent");
  pid_t c = fork();
  if (c == 0) {
    usleep(150000);
    strcpy(p + 100, "child wrote");
    shmdt(p);
    _exit(0);
  }
  usleep(300000);
  waitpid(c, NULL, 0);
  printf("parent sees: %s\n", p + 100);
  printf("shmdt: %d\n", shmdt(p));
  char* q = shmat(h, NULL, 0);
  printf("attached again: %s\n", q + 100);
  shmctl(h, IPC_RMID, NULL);
}

static void mqueue(void) {
  char name[64];
  snprintf(name, sizeof name, "/ckrr-probe-%d", getpid());
  struct mq_attr a;
  memset(&a, 0, sizeof a);
  a.mq_maxmsg = 4;
  a.mq_msgsize = 64;
  mqd_t q = mq_open(name, O_CREAT | O_RDWR, 0600, &a);
  CHECK("mq_open", q);
  CHECK("mq_send", mq_send(q, "second", 7, 1));
  CHECK("mq_send", mq_send(q, "first", 6, 5));
  struct mq_attr g;
  mq_getattr(q, &g);
  printf("mq_getattr: maxmsg %ld msgsize %ld curmsgs %ld\n", g.mq_maxmsg, g.mq_msgsize, g.mq_curmsgs);
  char buf[64];
  unsigned prio;
  for (int i = 0; i < 2; i++) {
    ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
    printf("mq_receive: %zd prio %u '%s'\n", n, prio, buf);
  }
  struct timespec ts = {0, 0};
  printf("mq_timedreceive empty: %s\n",
         mq_timedreceive(q, buf, sizeof buf, &prio, &ts) < 0 ? strerrorname_np(errno) : "?");
  mq_close(q);
  CHECK("mq_unlink", mq_unlink(name));
}

static void pidfd(void) {
  pid_t c = fork();
  if (c == 0) {
    pause();
    _exit(3);
  }
  int fd = syscall(SYS_pidfd_open, c, 0);
  CHECK("pidfd_open", fd);
  CHECK("pidfd_send_signal", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
  siginfo_t si;
  memset(&si, 0, sizeof si);
  CHECK("waitid P_PIDFD", waitid(P_PIDFD, fd, &si, WEXITED));
  printf("child: code %d status %d\n", si.si_code, si.si_status);
  int a = open("/dev/null", O_RDONLY), b = dup(a);
  printf("kcmp same file: %ld\n", syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, a, b));
  int d = open("/dev/zero", O_RDONLY);
  printf("kcmp other file: %s\n", syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, a, d) != 0 ? "differs" : "same");
  int g = syscall(SYS_pidfd_getfd, syscall(SYS_pidfd_open, getpid(), 0), d, 0);
  CHECK("pidfd_getfd", g);
  char z[4] = {1, 1, 1, 1};
  ssize_t zn = read(g, z, 4);
  printf("read through pidfd_getfd: %zd %d\n", zn, z[0]);
}

static void splices(void) {
  char src[300], dst[300];
  snprintf(src, sizeof src, "%s/src", dir);
  snprintf(dst, sizeof dst, "%s/dst", dir);
  int s = open(src, O_CREAT | O_RDWR | O_TRUNC, 0600);
  write(s, "0123456789abcdefghij", 20);
  int d = open(dst, O_CREAT | O_RDWR | O_TRUNC, 0600);
  int p[2], p2[2];
  pipe(p);
  pipe(p2);
  loff_t off = 2;
  printf("splice file->pipe: %zd off %lld\n", splice(s, &off, p[1], NULL, 8, 0), (long long)off);
  printf("tee: %zd\n", tee(p[0], p2[1], 8, 0));
  printf("splice pipe->file: %zd\n", splice(p[0], NULL, d, NULL, 8, 0));
  char buf[16] = {0};
  struct iovec iv = {buf, 8};
  ssize_t vm = vmsplice(p2[0], &iv, 1, 0);
  printf("vmsplice pipe->user: %zd '%.8s'\n", vm, buf);
  loff_t in = 10, out = 8;
  printf("copy_file_range: %zd\n", copy_file_range(s, &in, d, &out, 5, 0));
  off_t so = 15;
  printf("sendfile: %zd\n", sendfile(d, s, &so, 5));
  char all[32] = {0};
  pread(d, all, sizeof all - 1, 0);
  printf("dst: '%s'\n", all);
  CHECK("sync_file_range", sync_file_range(d, 0, 0, SYNC_FILE_RANGE_WRITE));
  CHECK("fchmodat2", syscall(452, AT_FDCWD, dst, 0640, 0));
  struct stat st;
  stat(dst, &st);
  printf("mode: %o\n", st.st_mode & 0777);
}

static void mmsg(void) {
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(b, (struct sockaddr*)&sa, sizeof sa);
  socklen_t l = sizeof sa;
  getsockname(b, (struct sockaddr*)&sa, &l);
  connect(a, (struct sockaddr*)&sa, sizeof sa);
  struct mmsghdr out[3];
  struct iovec oi[3];
  const char* words[3] = {"alpha", "beta", "gamma"};
  memset(out, 0, sizeof out);
  for (int i = 0; i < 3; i++) {
    oi[i].iov_base = (void*)words[i];
    oi[i].iov_len = strlen(words[i]);
    out[i].msg_hdr.msg_iov = &oi[i];
    out[i].msg_hdr.msg_iovlen = 1;
  }
  int n = sendmmsg(a, out, 3, 0);
  printf("sendmmsg: %d lens %u %u %u\n", n, out[0].msg_len, out[1].msg_len, out[2].msg_len);
  struct mmsghdr inm[3];
  struct iovec ii[3];
  char bufs[3][16];
  memset(inm, 0, sizeof inm);
  memset(bufs, 0, sizeof bufs);
  for (int i = 0; i < 3; i++) {
    ii[i].iov_base = bufs[i];
    ii[i].iov_len = 15;
    inm[i].msg_hdr.msg_iov = &ii[i];
    inm[i].msg_hdr.msg_iovlen = 1;
  }
  n = recvmmsg(b, inm, 3, MSG_WAITFORONE, NULL);
  printf("recvmmsg: %d", n);  // (each buffer filled by the kernel)
  for (int i = 0; i < n; i++) printf(" %s/%u", bufs[i], inm[i].msg_len);
  printf("\n");
}

static void xattrs(void) {
  char f[300];
  snprintf(f, sizeof f, "%s/xattr-file", dir);
  int fd = open(f, O_CREAT | O_RDWR, 0600);
  int r = setxattr(f, "user.ckrr", "value-1", 7, 0);
  if (r < 0) {
    printf("setxattr: %s\n", strerrorname_np(errno));
    return;
  }
  CHECK("fsetxattr", fsetxattr(fd, "user.other", "v2", 2, 0));
  CHECK("lsetxattr", lsetxattr(f, "user.third", "v3", 2, 0));
  char v[32] = {0};
  ssize_t vn = getxattr(f, "user.ckrr", v, sizeof v);
  printf("getxattr: %zd '%s'\n", vn, v);
  char list[128] = {0};
  ssize_t n = listxattr(f, list, sizeof list);
  printf("listxattr: %zd\n", n);
  CHECK("removexattr", removexattr(f, "user.ckrr"));
  CHECK("fremovexattr", fremovexattr(fd, "user.other"));
  CHECK("lremovexattr", lremovexattr(f, "user.third"));
  printf("getxattr gone: %s\n", getxattr(f, "user.ckrr", v, sizeof v) < 0 ? strerrorname_np(errno) : "?");
}

static void notify(void) {
  int in = inotify_init1(IN_CLOEXEC);
  CHECK("inotify_init1", in);
  int w = inotify_add_watch(in, dir, IN_CREATE | IN_DELETE);
  CHECK("inotify_add_watch", w);
  char f[300];
  snprintf(f, sizeof f, "%s/watched", dir);
  close(open(f, O_CREAT | O_WRONLY, 0600));
  unlink(f);
  char buf[4096];
  ssize_t n = read(in, buf, sizeof buf);
  for (char* p = buf; p < buf + n;) {
    struct inotify_event* e = (struct inotify_event*)p;
    printf("inotify: %s %s\n", e->mask & IN_CREATE ? "create" : e->mask & IN_DELETE ? "delete" : "other", e->name);
    p += sizeof *e + e->len;
  }
  CHECK("inotify_rm_watch", inotify_rm_watch(in, w));
  int fa = syscall(SYS_fanotify_init, 0, O_RDONLY);
  printf("fanotify_init: %s\n", fa < 0 ? strerrorname_np(errno) : "fd");
}

static void fds(void) {
  int e = eventfd(3, EFD_SEMAPHORE | EFD_CLOEXEC);
  uint64_t v = 0;
  read(e, &v, 8);
  printf("eventfd semaphore read: %llu\n", (unsigned long long)v);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigprocmask(SIG_BLOCK, &m, NULL);
  int s = signalfd(-1, &m, SFD_CLOEXEC);
  raise(SIGUSR1);
  struct signalfd_siginfo si;
  ssize_t got = read(s, &si, sizeof si);
  printf("signalfd: %zd signo %u\n", got, si.ssi_signo);
  int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  struct itimerspec its = {{0, 0}, {0, 1000000}}, cur;
  timerfd_settime(t, 0, &its, NULL);
  uint64_t exp = 0;
  got = read(t, &exp, 8);
  printf("timerfd: %zd expirations %s\n", got, exp >= 1 ? ">= 1" : "0");
  timerfd_gettime(t, &cur);
  printf("timerfd_gettime disarmed: %ld\n", (long)cur.it_value.tv_nsec);
}

static void sched(void) {
  struct { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t prio; uint64_t rt[3]; uint32_t u[2]; } at;
  memset(&at, 0, sizeof at);
  CHECK("sched_getattr", syscall(SYS_sched_getattr, 0, &at, sizeof at, 0));
  printf("policy %u size %u\n", at.policy, at.size);
  at.nice = 1;
  CHECK("sched_setattr", syscall(SYS_sched_setattr, 0, &at, 0));
  memset(&at, 0, sizeof at);
  syscall(SYS_sched_getattr, 0, &at, sizeof at, 0);
  printf("nice now %d\n", at.nice);
  struct timespec rr;
  CHECK("sched_rr_get_interval", sched_rr_get_interval(0, &rr));
  long io = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
  printf("ioprio_get: %s\n", io < 0 ? strerrorname_np(errno) : "ok");
  CHECK("ioprio_set", syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 4));
  printf("ioprio now: %ld\n", syscall(SYS_ioprio_get, 1, 0));
}

static void arch(void) {
  char ldt[64];
  printf("modify_ldt read: %ld\n", syscall(SYS_modify_ldt, 0, ldt, sizeof ldt));
  unsigned long fs = 0;
  CHECK("arch_prctl ARCH_GET_FS", syscall(SYS_arch_prctl, 0x1003, &fs));
  int k = syscall(SYS_pkey_alloc, 0, 0);
  if (k < 0) {
    printf("pkey_alloc: %s\n", strerrorname_np(errno));
  } else {
    char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("pkey_mprotect", syscall(SYS_pkey_mprotect, p, 4096, PROT_READ | PROT_WRITE, k));
    CHECK("pkey_free", syscall(SYS_pkey_free, k));
  }
  char here[32] = "process_vm data", there[32] = {0};
  struct iovec l = {there, 16}, r = {here, 16};
  ssize_t n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
  printf("process_vm_readv: %zd '%s'\n", n, there);
  char w[32] = "written remotely";
  struct iovec l2 = {w, 17}, r2 = {here, 17};
  n = process_vm_writev(getpid(), &l2, 1, &r2, 1, 0);
  printf("process_vm_writev: %zd '%s'\n", n, here);
}

static void admin(void) {
  // Each of these would change the machine; arguments make them fail harmlessly, and the
  // failure is what is recorded and replayed.
  struct timespec ts = {0, 0};
  printf("clock_settime bad clock: %s\n", clock_settime(12345, &ts) < 0 ? strerrorname_np(errno) : "?");
  printf("quotactl bad: %s\n", syscall(SYS_quotactl, 0, "/nonexistent", 0, NULL) < 0 ? strerrorname_np(errno) : "?");
  printf("acct bad path: %s\n", syscall(SYS_acct, "/nonexistent/x") < 0 ? strerrorname_np(errno) : "?");
  printf("swapoff bad: %s\n", syscall(SYS_swapoff, "/nonexistent") < 0 ? strerrorname_np(errno) : "?");
  printf("_sysctl: %s\n", syscall(SYS__sysctl, NULL) < 0 ? strerrorname_np(errno) : "?");
  printf("chroot bad: %s\n", chroot("/nonexistent") < 0 ? strerrorname_np(errno) : "?");
  long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  printf("landlock abi: %s\n", v < 0 ? strerrorname_np(errno) : v > 0 ? "some" : "none");
  long key = syscall(SYS_add_key, "user", "ckrr-probe", "payload", 7, -2 /* KEY_SPEC_PROCESS_KEYRING */);
  if (key < 0) {
    printf("add_key: %s\n", strerrorname_np(errno));
  } else {
    char buf[32] = {0};
    long n = syscall(SYS_keyctl, 11 /* KEYCTL_READ */, key, buf, sizeof buf);
    printf("keyctl read: %ld '%s'\n", n, buf);
  }
  printf("io_setup: %s\n", syscall(SYS_io_setup, 0, NULL) < 0 ? strerrorname_np(errno) : "?");
  char h[300];
  snprintf(h, sizeof h, "%s", dir);
  struct { unsigned int bytes; int type; unsigned char f[128]; } fh = {128, 0, {0}};
  int mnt = 0;
  long r = syscall(SYS_name_to_handle_at, AT_FDCWD, h, &fh, &mnt, 0);
  printf("name_to_handle_at: %s\n", r < 0 ? strerrorname_np(errno) : fh.bytes > 0 ? "handle" : "empty");
}

// Under ckrr the program is already traced, so the kernel refuses to let it be traced again:
// compared between the recording and its replays only.
static void ptrace_self(void) {
  printf("ptrace traceme: %s\n", ptrace(PTRACE_TRACEME, 0, 0, 0) < 0 ? strerrorname_np(errno) : "ok");
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    char b;
    read(p[0], &b, 1);
    _exit(0);
  }
  printf("ptrace seize child: %s\n", ptrace(PTRACE_SEIZE, c, 0, 0) < 0 ? strerrorname_np(errno) : "ok");
  write(p[1], "x", 1);
  waitpid(c, NULL, 0);
}

// New pid, mount and UTS namespaces: ids inside a pid namespace differ from ckrr's, which
// knows each process by its id in its own namespace; replay creates no namespace.
static void namespaces(void) {
  if (unshare(CLONE_NEWPID) != 0) {
    printf("unshare pid: %s\n", strerrorname_np(errno));
    return;
  }
  pid_t c = fork();
  if (c == 0) {
    printf("child pid in the new namespace: %d\n", getpid());
    pid_t g = fork();
    if (g == 0) {
      printf("grandchild pid %d ppid %d\n", getpid(), getppid());
      _exit(4);
    }
    int st;
    waitpid(g, &st, 0);
    printf("grandchild exit %d\n", WEXITSTATUS(st));
    _exit(3);
  }
  int st;
  waitpid(c, &st, 0);
  printf("child exit %d\n", WEXITSTATUS(st));
  if (unshare(CLONE_NEWNS) == 0 && mount("none", dir, "tmpfs", 0, "size=1m") == 0) {
    char f[300];
    snprintf(f, sizeof f, "%s/in-tmpfs", dir);
    int fd = open(f, O_CREAT | O_RDWR, 0600);
    write(fd, "in tmpfs", 8);
    char b[9] = {0};
    pread(fd, b, 8, 0);
    printf("tmpfs file: %s\n", b);
    close(fd);
    umount2(dir, MNT_DETACH);
  } else {
    printf("mount: %s\n", strerrorname_np(errno));
  }
  pid_t p = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
  if (p == 0) {
    sethostname("inner", 5);
    char h[64];
    gethostname(h, sizeof h);
    _exit(strcmp(h, "inner") == 0 ? 7 : 8);
  }
  waitpid(p, &st, 0);
  char h[64];
  gethostname(h, sizeof h);
  printf("clone NEWUTS child %d, parent's name unchanged %d\n", WEXITSTATUS(st), strcmp(h, "inner") != 0);
}

// The new mount API in a private mount namespace: a tmpfs made with fsopen/fsconfig/fsmount,
// attached with move_mount, cloned with open_tree; then landlock, which forbids what follows.
static void mountapi(void) {
  if (unshare(CLONE_NEWNS) != 0) {
    printf("unshare: %s\n", strerrorname_np(errno));
    return;
  }
  mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  int fs = syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
  printf("fsopen: %s\n", fs < 0 ? strerrorname_np(errno) : "ok");
  if (fs < 0) return;
  CHECK("fsconfig size", syscall(SYS_fsconfig, fs, 1 /* FSCONFIG_SET_STRING */, "size", "1m", 0));
  CHECK("fsconfig create", syscall(SYS_fsconfig, fs, 6 /* FSCONFIG_CMD_CREATE */, NULL, NULL, 0));
  int mfd = syscall(SYS_fsmount, fs, 1 /* FSMOUNT_CLOEXEC */, 0);
  printf("fsmount: %s\n", mfd < 0 ? strerrorname_np(errno) : "ok");
  CHECK("move_mount", syscall(SYS_move_mount, mfd, "", AT_FDCWD, dir, 4 /* MOVE_MOUNT_F_EMPTY_PATH */));
  char f[300];
  snprintf(f, sizeof f, "%s/on-new-tmpfs", dir);
  int fd = open(f, O_CREAT | O_RDWR, 0600);
  write(fd, "mounted", 7);
  close(fd);
  int tree = syscall(SYS_open_tree, AT_FDCWD, dir, 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC);
  printf("open_tree: %s\n", tree < 0 ? strerrorname_np(errno) : "ok");
  char b[8] = {0};
  fd = openat(tree, "on-new-tmpfs", O_RDONLY);
  read(fd, b, 7);
  printf("through the clone: %s\n", b);
  umount2(dir, MNT_DETACH);
  snprintf(f, sizeof f, "%s/plain", dir);
  close(open(f, O_CREAT | O_WRONLY, 0600));
  struct timex tx;
  memset(&tx, 0, sizeof tx);
  int st = adjtimex(&tx);
  printf("adjtimex read: %s\n", st < 0 ? strerrorname_np(errno) : "ok");
  // Landlock: only reads under dir are allowed from now on.
  struct landlock_ruleset_attr ra = {.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE};
  int rs = syscall(SYS_landlock_create_ruleset, &ra, sizeof ra, 0);
  printf("landlock ruleset: %s\n", rs < 0 ? strerrorname_np(errno) : "ok");
  if (rs < 0) return;
  struct landlock_path_beneath_attr pb = {.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE,
                                          .parent_fd = open(dir, O_PATH | O_CLOEXEC)};
  CHECK("landlock_add_rule", syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0));
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  CHECK("landlock_restrict_self", syscall(SYS_landlock_restrict_self, rs, 0));
  printf("read allowed: %s\n", open(f, O_RDONLY) < 0 ? strerrorname_np(errno) : "ok");
  printf("write refused: %s\n", open(f, O_WRONLY) < 0 ? strerrorname_np(errno) : "allowed");
}

static void sandbox(void) {
  if (unshare(CLONE_NEWUTS) == 0) {
    sethostname("ckrr-probe", 10);
    struct utsname u;
    uname(&u);
    printf("hostname in new uts namespace: %s\n", u.nodename);
  } else {
    printf("unshare: %s\n", strerrorname_np(errno));
  }
  // The program's own seccomp filter: getppid fails with EPERM, the rest is allowed.
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {4, f};
  CHECK("no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  CHECK("seccomp filter", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
  printf("getppid under the filter: %s\n",
         syscall(SYS_getppid) < 0 ? strerrorname_np(errno) : "allowed");
  printf("getpid under the filter: %s\n", getpid() > 0 ? "allowed" : "?");
}

static void ioctls(void) {
  char f[300];
  snprintf(f, sizeof f, "%s/ioctl-file", dir);
  int fd = open(f, O_CREAT | O_RDWR | O_TRUNC, 0600);
  write(fd, "12345", 5);
  int n = -1;
  int r = ioctl(fd, FIONREAD, &n);
  printf("FIONREAD on a file: %s %d\n", r < 0 ? strerrorname_np(errno) : "ok", n);
  long ver = 0;
  printf("FS_IOC_GETVERSION: %s\n", ioctl(fd, _IOR('v', 1, long), &ver) < 0 ? strerrorname_np(errno) : "ok");
  char fifo[300];
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  mkfifo(fifo, 0600);
  int ff = open(fifo, O_RDWR);
  n = -1;
  write(ff, "abc", 3);
  r = ioctl(ff, FIONREAD, &n);
  printf("FIONREAD on a fifo: %s %d\n", r < 0 ? strerrorname_np(errno) : "ok", n);
  void* m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ff, 0);
  printf("mmap of a fifo: %s\n", m == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  int full = open("/dev/full", O_WRONLY);
  printf("write to /dev/full: %s\n", write(full, "x", 1) < 0 ? strerrorname_np(errno) : "?");
  printf("unknown ioctl on /dev/full: %s\n", ioctl(full, _IOR('Z', 99, int), &n) < 0 ? strerrorname_np(errno) : "ok");
  printf("old-style unknown ioctl: %s\n", ioctl(fd, 0x5499, 0) < 0 ? strerrorname_np(errno) : "ok");
}

static void refused(void) {
  struct { uint32_t sq, cq, flags, cpu, idle, features, wq, resv[3]; uint64_t off[10]; } params;
  memset(&params, 0, sizeof params);
  printf("io_uring_setup: %s\n", syscall(SYS_io_uring_setup, 4, &params) < 0 ? strerrorname_np(errno) : "ok");
  printf("userfaultfd: %s\n", syscall(SYS_userfaultfd, O_CLOEXEC) < 0 ? strerrorname_np(errno) : "ok");
  printf("memfd_secret: %s\n", syscall(447, 0) < 0 ? strerrorname_np(errno) : "ok");
}

// Finds the vDSO the way Go's runtime does (AT_SYSINFO_EHDR, then its dynsym) and calls its
// clock_gettime directly. The time differs between runs: compared between record and replay.
static void vdso(void) {
  uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  printf("vdso: %s\n", base ? "found" : "missing");
  if (!base) return;
  Elf64_Ehdr* eh = (Elf64_Ehdr*)base;
  Elf64_Shdr* sh = (Elf64_Shdr*)(base + eh->e_shoff);
  Elf64_Phdr* ph = (Elf64_Phdr*)(base + eh->e_phoff);
  uintptr_t bias = base;
  for (int i = 0; i < eh->e_phnum; i++)
    if (ph[i].p_type == PT_LOAD) {
      bias = base - ph[i].p_vaddr + ph[i].p_offset;
      break;
    }
  int (*cg)(clockid_t, struct timespec*) = NULL;
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_DYNSYM) continue;
    Elf64_Sym* sym = (Elf64_Sym*)(base + sh[i].sh_offset);
    const char* str = (const char*)(base + sh[sh[i].sh_link].sh_offset);
    for (size_t k = 0; k < sh[i].sh_size / sizeof *sym; k++)
      if (!strcmp(str + sym[k].st_name, "__vdso_clock_gettime"))
        cg = (int (*)(clockid_t, struct timespec*))(bias + sym[k].st_value);
  }
  printf("__vdso_clock_gettime: %s\n", cg ? "found" : "missing");
  if (!cg) return;
  struct timespec a, b;
  cg(CLOCK_REALTIME, &a);
  cg(CLOCK_MONOTONIC, &b);
  printf("realtime %lld.%09ld monotonic %lld.%09ld\n", (long long)a.tv_sec, a.tv_nsec,
         (long long)b.tv_sec, b.tv_nsec);
}

// A software perf counter and its ring buffer (a mapping of something that is not a file): the
// counts differ between runs, so this is compared between record and replay.
static void perf(void) {
  struct perf_event_attr pa;
  memset(&pa, 0, sizeof pa);
  pa.size = sizeof pa;
  pa.type = PERF_TYPE_SOFTWARE;
  pa.config = PERF_COUNT_SW_TASK_CLOCK;
  int fd = syscall(SYS_perf_event_open, &pa, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    printf("perf_event_open: %s\n", strerrorname_np(errno));
    return;
  }
  volatile unsigned long x = 0;
  for (int i = 0; i < 1000000; i++) x += i;
  uint64_t v = 0;
  ssize_t n = read(fd, &v, sizeof v);
  printf("task clock read %zd: %llu ns\n", n, (unsigned long long)v);
  void* ring = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (ring == MAP_FAILED) {
    printf("perf mmap: %s\n", strerrorname_np(errno));
  } else {
    struct perf_event_mmap_page* pg = ring;
    printf("perf mmap: version %u\n", pg->version);
  }
}

// A BPF array map: created, updated and looked up. The kernel writes the value through a
// pointer inside the attribute struct, which ckrr captures conservatively (one level down).
static void bpf_map(void) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = 4;
  a.value_size = 8;
  a.max_entries = 4;
  int fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
  printf("map create: %s\n", fd < 0 ? strerrorname_np(errno) : "ok");
  if (fd < 0) return;
  uint32_t key = 2;
  uint64_t value = 0x1234abcd, got = 0;
  memset(&a, 0, sizeof a);
  a.map_fd = fd;
  a.key = (uintptr_t)&key;
  a.value = (uintptr_t)&value;
  CHECK("map update", syscall(SYS_bpf, BPF_MAP_UPDATE_ELEM, &a, sizeof a));
  a.value = (uintptr_t)&got;
  CHECK("map lookup", syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &a, sizeof a));
  printf("value: %llx\n", (unsigned long long)got);
  close(fd);
}

static void unknown(void) {
  printf("syscall(-1): %s\n", syscall(-1) < 0 ? strerrorname_np(errno) : "?");
  printf("syscall(999): %s\n", syscall(999) < 0 ? strerrorname_np(errno) : "?");
  printf("syscall(400): %s\n", syscall(400) < 0 ? strerrorname_np(errno) : "?");
  printf("x32 getpid: %s\n", syscall(0x40000000 | 39) < 0 ? strerrorname_np(errno) : "?");
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: syscall_groups GROUP DIR\n");
    return 2;
  }
  snprintf(dir, sizeof dir, "%s", argv[2]);
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct { const char* name; void (*fn)(void); } groups[] = {
      {"sysv", sysv},     {"mqueue", mqueue}, {"pidfd", pidfd}, {"splice", splices},
      {"mmsg", mmsg},     {"xattr", xattrs},  {"notify", notify}, {"fds", fds},
      {"sched", sched},   {"arch", arch},     {"admin", admin}, {"sandbox", sandbox},
      {"ioctl", ioctls},  {"unknown", unknown}, {"ptrace", ptrace_self},
      {"refused", refused},  {"vdso", vdso},     {"namespaces", namespaces},
      {"perf", perf},       {"mountapi", mountapi},
      {"bpf", bpf_map},       {"sysv_checkpoints", sysv_checkpoints},
  };
  for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
    if (strcmp(argv[1], groups[i].name) == 0) {
      groups[i].fn();
      return 0;
    }
  fprintf(stderr, "unknown group %s\n", argv[1]);
  return 2;
}
