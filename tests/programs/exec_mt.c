// execve from a process with several threads: the kernel ends the other threads (one blocked
// in read on a pipe, one sleeping in a loop) and, when the caller is not the leader, gives it
// the process's pid as its tid. `exec_mt thread`: a second thread execs; `exec_mt leader`: the
// main thread does. The new image checks what it sees and prints one line.
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int pipe_fds[2];
static char self[4096];
static char pid_text[32];

static void* blocked_reader(void* arg) {
  (void)arg;
  char c;
  read(pipe_fds[0], &c, 1);  // nobody writes: ended by the exec
  return NULL;
}

static void* sleeper(void* arg) {
  (void)arg;
  for (;;) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static void* execer(void* arg) {
  (void)arg;
  struct timespec ts = {0, 5000000};
  nanosleep(&ts, NULL);
  execl(self, self, "after", pid_text, (char*)NULL);
  perror("execl");
  exit(4);
}

static int count_threads(void) {
  DIR* d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  for (struct dirent* e; (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "after") == 0) {
    pid_t before = (pid_t)atoi(argv[2]);
    printf("after exec: same pid %s, tid is pid %s, threads %d\n",
           getpid() == before ? "yes" : "no", gettid() == getpid() ? "yes" : "no", count_threads());
    return 0;
  }
  int by_thread = !(argc > 1 && strcmp(argv[1], "leader") == 0);
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 2;
  self[n] = 0;
  snprintf(pid_text, sizeof pid_text, "%d", (int)getpid());
  if (pipe(pipe_fds) != 0) return 2;
  pthread_t a, b, c;
  pthread_create(&a, NULL, blocked_reader, NULL);
  pthread_create(&b, NULL, sleeper, NULL);
  printf("threads before exec: %d\n", by_thread ? 4 : 3);
  fflush(stdout);
  if (by_thread) {
    pthread_create(&c, NULL, execer, NULL);
    pthread_join(c, NULL);  // never returns: the exec ends this thread
    return 3;
  }
  execer(NULL);
  return 3;
}
