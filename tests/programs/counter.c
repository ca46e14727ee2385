// Counts to N: appends "i pid=<getpid()>" to FILE (opened once, O_APPEND) and prints progress,
// sleeping a little at each step. `ckrr restart` must finish the count after the recorder was
// killed: the file must then hold every line once, all with the recorded pid.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig) {
  (void)sig;
  got_usr1 = 1;
}

// What a program that knows its own pid does with it: signal itself, look into /proc/<pid>.
// After a restart these only work if ckrr translates the pid it remembers to the real one.
static int use_own_pid(int step) {
  got_usr1 = 0;
  if (kill(getpid(), SIGUSR1) != 0 || !got_usr1) {
    fprintf(stderr, "step %d: kill(getpid(), SIGUSR1) did not reach this process\n", step);
    return 0;
  }
  char path[64], exe[256];
  snprintf(path, sizeof path, "/proc/%d/exe", (int)getpid());
  if (readlink(path, exe, sizeof exe) <= 0) {
    fprintf(stderr, "step %d: readlink %s failed\n", step, path);
    return 0;
  }
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: counter FILE N [STEP_MS]\n");
    return 2;
  }
  int n = atoi(argv[2]);
  long step_ms = argc > 3 ? atol(argv[3]) : 10;
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  signal(SIGUSR1, on_usr1);
  unsigned long long last_tsc = __rdtsc();  // traps under ckrr: rdtsc must keep working
  for (int i = 1; i <= n; ++i) {
    if (!use_own_pid(i)) return 3;
    unsigned long long tsc = __rdtsc();
    if (tsc < last_tsc) {
      fprintf(stderr, "step %d: rdtsc went back\n", i);
      return 4;
    }
    last_tsc = tsc;
    char line[64];
    int len = snprintf(line, sizeof line, "%d pid=%d\n", i, (int)getpid());
    if (write(fd, line, (size_t)len) != len) {
      perror("write");
      return 1;
    }
    printf("count %d\n", i);
    fflush(stdout);
    struct timespec ts = {0, step_ms * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  printf("done %d\n", n);
  close(fd);
  return 0;
}
