// A grandchild process starts threads while its main thread computes ("compute") or blocks in
// read on a pipe one of its threads feeds ("block").
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int p[2];
static void* worker(void* arg) {
  long id = (long)arg;
  long s = 0;
  for (int i = 0; i < 200; ++i) s += getpid() > 0 ? i * id : 0;
  if (id == 2) write(p[1], "x", 1);
  return (void*)s;
}

static int grandchild(int block) {
  pipe(p);
  pthread_t t[3];
  for (long i = 0; i < 3; ++i) pthread_create(&t[i], NULL, worker, (void*)(i + 1));
  volatile unsigned long acc = 0;
  if (block) {
    char x;
    read(p[0], &x, 1);
  } else {
    for (unsigned long i = 0; i < 300000000ul; ++i) acc += i;
  }
  long total = 0;
  for (int i = 0; i < 3; ++i) {
    void* r;
    pthread_join(t[i], &r);
    total += (long)r;
  }
  printf("grandchild: threads %ld acc %lu\n", total, (unsigned long)acc);
  return 0;
}

int main(int argc, char** argv) {
  int block = argc > 1 && strcmp(argv[1], "block") == 0;
  pid_t c = fork();
  if (c == 0) {
    pid_t g = fork();
    if (g == 0) _exit(grandchild(block));
    int st;
    waitpid(g, &st, 0);
    _exit(WEXITSTATUS(st) + 10);
  }
  int st;
  waitpid(c, &st, 0);
  printf("main: child exit %d\n", WEXITSTATUS(st));
  return 0;
}
