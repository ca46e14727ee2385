// N threads write LINES lines of SIZE bytes each to stdout while main, after a barrier (and
// DELAY_US microseconds), calls exit_group: what the recording's stdout got from the threads
// must be printed by the replay too, no line fewer. DELAY_US -1: main joins them instead.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t barrier;
static int lines, size;

static void* worker(void* arg) {
  long i = (long)arg;
  char* buf = malloc(size);
  pthread_barrier_wait(&barrier);
  for (int j = 0; j < lines; j++) {
    memset(buf, 'a' + i % 26, size);
    int n = snprintf(buf, size, "thread %ld line %d ", i, j);
    buf[n] = '.';
    buf[size - 1] = '\n';
    if (write(1, buf, size) != size) break;
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: exit_while_writing N LINES SIZE DELAY_US\n");
    return 2;
  }
  int n = atoi(argv[1]);
  lines = atoi(argv[2]);
  size = atoi(argv[3]);
  pthread_t th[64];
  pthread_barrier_init(&barrier, NULL, n + 1);
  for (long i = 0; i < n; i++) pthread_create(&th[i], NULL, worker, (void*)i);
  pthread_barrier_wait(&barrier);
  int delay = atoi(argv[4]);
  if (delay < 0) {
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
    return 0;
  }
  if (delay > 0) usleep(delay);
  _exit(0);
}
