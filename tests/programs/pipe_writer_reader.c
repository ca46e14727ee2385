// Thread X writes 200 KB to a pipe with a blocking write loop; thread Y, which has its own
// non-blocking fd to the same pipe, tries to write a line (EAGAIN while the pipe is full) and then
// reads the pipe to its end. Natively nothing waits forever: Y drains what X writes.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int p[2], nonblocking;
static char data[200000];

static void* writer(void* arg) {
  (void)arg;
  size_t done = 0;
  while (done < sizeof data) {
    ssize_t n = write(p[1], data + done, sizeof data - done);
    if (n <= 0) break;
    done += n;
  }
  close(p[1]);
  return (void*)done;
}

static void* reader(void* arg) {
  (void)arg;
  usleep(20000);  // X is in its write by then
  ssize_t w = write(nonblocking, "y\n", 2);
  int err = errno;
  close(nonblocking);
  static char buf[65536];
  long total = 0;
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) total += n;
  printf("Y's write: %s; Y read %ld bytes\n",
         w == 2  ? "2"
         : w < 0 ? strerror(err)
                 : "short",
         total);
  return NULL;
}

int main(void) {
  memset(data, 'x', sizeof data);
  if (pipe(p)) return 1;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
  nonblocking = open(path, O_WRONLY | O_NONBLOCK);  // a second open file of the same pipe
  if (nonblocking < 0) return 1;
  pthread_t x, y;
  pthread_create(&x, NULL, writer, NULL);
  pthread_create(&y, NULL, reader, NULL);
  void* wrote;
  pthread_join(x, &wrote);
  pthread_join(y, NULL);
  printf("X wrote %ld bytes\n", (long)wrote);
  return 0;
}
