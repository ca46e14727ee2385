// A small process tree: three forked children report through one pipe, then end three ways
// (exit(3); killed by the parent's SIGTERM; exit(0)); the parent reaps them with waitpid in
// child order and prints each status. A SIGCHLD handler counts deliveries (only ">= 1" is
// printed: how many coalesce depends on timing). Then one vfork + execve of /bin/true and one
// posix_spawn of /bin/echo (whose output goes to our stdout).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;
static volatile sig_atomic_t sigchld_count;

static void on_chld(int sig) {
  (void)sig;
  sigchld_count++;
}

static const char* describe(int status, char* buf, size_t n) {
  if (WIFEXITED(status))
    snprintf(buf, n, "exited %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(buf, n, "killed by signal %d", WTERMSIG(status));
  else
    snprintf(buf, n, "status 0x%x", status);
  return buf;
}

static pid_t waitpid_eintr(pid_t pid, int* status, int flags) {
  pid_t r;
  do r = waitpid(pid, status, flags);
  while (r < 0 && errno == EINTR);
  return r;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);

  int p[2], go[2];
  if (pipe(p) != 0 || pipe(go) != 0) return 2;
  pid_t kids[3], parent = getpid();
  for (int i = 0; i < 3; i++) {
    pid_t pid = fork();
    if (pid < 0) return 3;
    if (pid == 0) {
      close(p[0]);
      close(go[1]);
      char line[64];
      int n = snprintf(line, sizeof line, "child %d ppid-is-parent %d pid-differs %d\n", i,
                       getppid() == parent, getpid() != parent);
      if (write(p[1], line, n) != n) _exit(10);
      close(p[1]);
      if (i == 0) exit(3);
      if (i == 1) {  // wait for the parent's SIGTERM: block in read on a pipe nobody writes
        char c;
        for (;;) read(go[0], &c, 1);
      }
      exit(0);
    }
    kids[i] = pid;
  }
  close(p[1]);
  close(go[0]);

  // Read every child's line (EOF once all three closed their write end), then sort by index.
  char buf[4096];
  size_t len = 0;
  for (;;) {
    ssize_t r = read(p[0], buf + len, sizeof buf - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += r;
  }
  buf[len] = 0;
  close(p[0]);
  for (int i = 0; i < 3; i++) {
    char want[16];
    snprintf(want, sizeof want, "child %d ", i);
    char* at = strstr(buf, want);
    if (!at) {
      printf("child %d: no line\n", i);
      continue;
    }
    char* end = strchr(at, '\n');
    printf("%.*s\n", (int)(end - at), at);
  }

  kill(kids[1], SIGTERM);
  for (int i = 0; i < 3; i++) {
    int status;
    char d[64];
    if (waitpid_eintr(kids[i], &status, 0) != kids[i]) return 4;
    printf("child %d %s\n", i, describe(status, d, sizeof d));
  }
  close(go[1]);

  pid_t v = vfork();
  if (v == 0) {
    char* args[] = {"/bin/true", NULL};
    execve("/bin/true", args, environ);
    _exit(127);
  }
  int status;
  char d[64];
  if (v < 0 || waitpid_eintr(v, &status, 0) != v) return 5;
  printf("vfork+execve /bin/true %s\n", describe(status, d, sizeof d));

  fflush(stdout);  // /bin/echo writes to the same stdout
  pid_t s;
  char* echo_args[] = {"/bin/echo", "hello from posix_spawn", NULL};
  int err = posix_spawn(&s, "/bin/echo", NULL, NULL, echo_args, environ);
  if (err != 0) return 6;
  if (waitpid_eintr(s, &status, 0) != s) return 7;
  printf("posix_spawn /bin/echo %s\n", describe(status, d, sizeof d));
  printf("sigchld delivered %s\n", sigchld_count >= 1 ? ">= 1" : "never");
  return 0;
}
