// Says it is ready, then gets stuck: "read" blocks in read on a pipe nobody writes, "threads"
// does that in three threads, "vfork" is a vfork parent whose child blocks (the parent sleeps
// uninterruptibly until the child execs or exits), "ignore" also ignores SIGINT and SIGTERM,
// "stopped" waits for a child that stopped itself with SIGSTOP (nobody continues it).
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int p[2];

static void* reader(void* arg) {
  (void)arg;
  char c;
  read(p[0], &c, 1);
  return NULL;
}

int main(int argc, char** argv) {
  const char* how = argc > 1 ? argv[1] : "read";
  pipe(p);
  if (strcmp(how, "ignore") == 0) {
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
  }
  printf("ready\n");
  fflush(stdout);
  if (strcmp(how, "threads") == 0) {
    pthread_t t;
    for (int i = 0; i < 3; ++i) pthread_create(&t, NULL, reader, NULL);
  }
  if (strcmp(how, "stopped") == 0) {  // waits (without WUNTRACED) for a child that stopped
    pid_t c = fork();
    if (c == 0) {
      raise(SIGSTOP);
      _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
  }
  if (strcmp(how, "vfork") == 0) {
    if (vfork() == 0) {
      char c;
      read(p[0], &c, 1);
      _exit(0);
    }
  }
  char c;
  read(p[0], &c, 1);
  return 0;
}
