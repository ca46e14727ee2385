// A small loopback TCP server with client threads, like a busy real server under load: a
// server thread accepts, one handler thread per connection reads a request, computes and
// replies; each client thread computes, sends a request and reads the reply, R times
// (argv[2], default 40), C clients (argv[1], default 3), computing about argv[3] (default 50)
// thousand iterations per request.
// The compute loops keep their state in memory, so every iteration passes the same
// instruction with the same registers and stack: only a count tells iterations apart. The
// handlers sample the clients' shared progress counter (a deliberate race), so what is printed
// depends on where each thread was preempted: a replay must stop every thread exactly where it
// was stopped when recording to print the same.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 8

static int n_clients = 3, n_requests = 40;
static long scale = 50;  // argv[3]: compute per request, in thousands of iterations
static int listen_fd;
static volatile unsigned long progress;  // bumped by every client's compute loop, racy
static volatile unsigned long state[MAX_CLIENTS + MAX_CLIENTS];
static volatile long step[MAX_CLIENTS + MAX_CLIENTS];
static unsigned long samples[MAX_CLIENTS];  // per handler: sum of progress seen

// Changes memory only and leaves every scratch register zero: its return site sees the same
// registers at every call.
__attribute__((noinline)) static void mix(volatile unsigned long* s) {
  __atomic_fetch_xor(s, 0x9e3779b97f4a7c15ul, __ATOMIC_RELAXED);
  __atomic_fetch_add(&progress, 1, __ATOMIC_RELAXED);
  __asm__ volatile(
      "xor %%eax, %%eax\n xor %%ecx, %%ecx\n xor %%edx, %%edx\n xor %%esi, %%esi\n"
      "xor %%edi, %%edi\n xor %%r8d, %%r8d\n xor %%r9d, %%r9d\n xor %%r10d, %%r10d\n"
      "xor %%r11d, %%r11d" ::
          : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "cc");
}

// n iterations whose counter lives in memory: registers repeat from one to the next.
__attribute__((noinline)) static void compute(int slot, long n) {
  for (step[slot] = 0; step[slot] < n; step[slot]++) mix(&state[slot]);
}

static int full_io(int fd, void* buf, size_t n, int writing) {
  size_t done = 0;
  while (done < n) {
    ssize_t r =
        writing ? write(fd, (char*)buf + done, n - done) : read(fd, (char*)buf + done, n - done);
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}

struct conn {
  int fd, id;
};

static void* handler(void* arg) {
  struct conn* c = arg;
  unsigned long req[2];
  while (full_io(c->fd, req, sizeof req, 0) == 0) {
    compute(MAX_CLIENTS + c->id, scale * 500 + (long)(req[1] % (unsigned long)(scale * 500 + 1)));
    samples[c->id] += progress;
    unsigned long reply = req[1] ^ state[MAX_CLIENTS + c->id];
    if (full_io(c->fd, &reply, sizeof reply, 1) != 0) break;
  }
  close(c->fd);
  return NULL;
}

static void* server(void* arg) {
  (void)arg;
  pthread_t th[MAX_CLIENTS];
  struct conn conns[MAX_CLIENTS];
  for (int i = 0; i < n_clients; i++) {
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) exit(3);
    unsigned long id;
    if (full_io(fd, &id, sizeof id, 0) != 0 || id >= MAX_CLIENTS) exit(4);
    conns[i].fd = fd;
    conns[i].id = (int)id;
    pthread_create(&th[i], NULL, handler, &conns[i]);
  }
  for (int i = 0; i < n_clients; i++) pthread_join(th[i], NULL);
  return NULL;
}

static struct sockaddr_in addr;
static unsigned long checksums[MAX_CLIENTS];

static void* client(void* arg) {
  unsigned long id = (unsigned long)arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) exit(5);
  if (full_io(fd, &id, sizeof id, 1) != 0) exit(6);
  unsigned long sum = id;
  for (int i = 0; i < n_requests; i++) {
    compute((int)id, scale * 1000 + (long)((sum >> 7) % (unsigned long)(scale * 1000 + 1)));
    unsigned long req[2] = {id, sum ^ state[id]};
    unsigned long reply;
    if (full_io(fd, req, sizeof req, 1) != 0 || full_io(fd, &reply, sizeof reply, 0) != 0) exit(7);
    sum = sum * 31 + reply;
  }
  checksums[id] = sum;
  close(fd);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) n_clients = atoi(argv[1]);
  if (argc > 2) n_requests = atoi(argv[2]);
  if (argc > 3) scale = atol(argv[3]);
  if (n_clients < 1 || n_clients > MAX_CLIENTS) return 2;
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(listen_fd, 16) != 0 ||
      getsockname(listen_fd, (struct sockaddr*)&addr, &len) != 0)
    return 2;
  pthread_t srv, cl[MAX_CLIENTS];
  pthread_create(&srv, NULL, server, NULL);
  for (long i = 0; i < n_clients; i++) pthread_create(&cl[i], NULL, client, (void*)i);
  for (int i = 0; i < n_clients; i++) pthread_join(cl[i], NULL);
  pthread_join(srv, NULL);
  for (int i = 0; i < n_clients; i++)
    printf("client %d checksum %016lx handler saw %lu\n", i, checksums[i], samples[i]);
  printf("progress %lu\n", progress);
  return 0;
}
