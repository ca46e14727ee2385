// N threads ("threads") or N child processes ("procs") wait at a barrier, then each writes LINES
// lines to stdout with write(2), one write per line. Natively the order of the lines varies from
// run to run; a replay must print them in the order the recording's stdout got them.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_barrier_t barrier;
static int lines;

static int write_lines(const char* who, long i) {
  for (int j = 0; j < lines; j++) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s %ld line %d\n", who, i, j);
    if (write(1, buf, n) != n) return 1;
  }
  return 0;
}

static void* thread_main(void* arg) {
  pthread_barrier_wait(&barrier);
  return (void*)(long)write_lines("thread", (long)arg);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: write_order threads|procs N LINES\n");
    return 2;
  }
  int n = atoi(argv[2]);
  lines = atoi(argv[3]);
  int failed = 0;
  if (strcmp(argv[1], "threads") == 0) {
    pthread_t th[64];
    pthread_barrier_init(&barrier, NULL, n);
    for (long i = 0; i < n; i++) pthread_create(&th[i], NULL, thread_main, (void*)i);
    for (int i = 0; i < n; i++) {
      void* r;
      pthread_join(th[i], &r);
      failed |= r != NULL;
    }
    return failed;
  }
  // Processes: the barrier is a pipe whose write end the parent closes once all are forked.
  int p[2];
  if (pipe(p)) return 1;
  for (long i = 0; i < n; i++) {
    if (fork() == 0) {
      close(p[1]);
      char x;
      if (read(p[0], &x, 1) != 0) _exit(3);
      _exit(write_lines("child", i));
    }
  }
  close(p[0]);
  close(p[1]);
  int st;
  while (wait(&st) > 0) failed |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
  return failed;
}
