// Two processes share memory: a MAP_SHARED|MAP_ANONYMOUS page made before fork holds two
// process-shared semaphores and a counter. Parent and child take turns adding to the counter
// (ping-pong through the semaphores), sleeping 1 ms per turn, and each prints what it last saw.
// Restored as separate copies, the turns would not pass between the processes.
#define _GNU_SOURCE
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct Shared {
  sem_t parent_turn, child_turn;
  long counter;
};

static void nap(void) {
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 60;
  struct Shared* s =
      mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) return 2;
  sem_init(&s->parent_turn, 1, 1);
  sem_init(&s->child_turn, 1, 0);
  pid_t child = fork();
  if (child < 0) return 2;
  int me = child == 0;
  sem_t* mine = me ? &s->child_turn : &s->parent_turn;
  sem_t* theirs = me ? &s->parent_turn : &s->child_turn;
  long seen = 0;
  for (int i = 0; i < rounds; i++) {
    sem_wait(mine);
    s->counter += me ? 1000 : 1;
    seen = s->counter;
    sem_post(theirs);
    nap();
  }
  if (me) {
    printf("child saw %ld\n", seen);
    return 0;
  }
  int st = 0;
  waitpid(child, &st, 0);
  printf("parent saw %ld, child exit %d\n", seen, WEXITSTATUS(st));
  return 0;
}
