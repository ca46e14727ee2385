// Maps 64 MB of /dev/zero with MAP_POPULATE a few times while a second thread keeps waking
// from short sleeps: each mmap takes milliseconds in the kernel (8 ms here) with another thread
// ready to run, the recorder's path for a call that blocks unexpectedly. Replay makes such a
// mapping from the recorded result (not from the app's fd, which replay emulates). Main reads
// one byte per page and prints a checksum; the sleeper prints nothing (its count varies).
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static atomic_int done;

static void* sleeper(void* arg) {
  (void)arg;
  struct timespec ts = {0, 200 * 1000L};
  while (!atomic_load(&done)) nanosleep(&ts, NULL);
  return NULL;
}

int main(void) {
  int fd = open("/dev/zero", O_RDONLY);
  if (fd < 0) return perror("open"), 2;
  const off_t size = 64 << 20;
  pthread_t th;
  pthread_create(&th, NULL, sleeper, NULL);
  for (int i = 0; i < 4; ++i) {
    const unsigned char* p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) return perror("mmap"), 1;
    uint64_t sum = 0;
    for (off_t at = 0; at < size; at += 4096) sum = sum * 31 + p[at];
    printf("map %d: %lld bytes, sum %016llx\n", i, (long long)size, (unsigned long long)sum);
    munmap((void*)p, size);
  }
  atomic_store(&done, 1);
  pthread_join(th, NULL);
  close(fd);
  return 0;
}
