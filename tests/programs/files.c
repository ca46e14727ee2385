// Reads a file (through read and through mmap) and lists a directory: replay must show the
// recorded contents after the file and directory changed.
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t fnv(const unsigned char* p, size_t n, uint64_t h) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  struct stat st;
  fstat(fd, &st);
  unsigned char buf[4096];
  uint64_t h = 1469598103934665603ull;
  ssize_t n;
  size_t total = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    h = fnv(buf, n, h);
    total += n;
  }
  printf("read %zu bytes hash %016llx size %lld mtime %lld\n", total, (unsigned long long)h,
         (long long)st.st_size, (long long)st.st_mtime);
  if (st.st_size > 0) {
    void* m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) return 3;
    printf("mmap hash %016llx first line: %.*s\n",
           (unsigned long long)fnv(m, st.st_size, 1469598103934665603ull),
           (int)strcspn((const char*)m, "\n"), (const char*)m);
    munmap(m, st.st_size);
  }
  close(fd);
  DIR* d = opendir(argv[2]);
  int entries = 0;
  uint64_t names = 1469598103934665603ull;
  struct dirent* e;
  while (d && (e = readdir(d))) {
    ++entries;
    names = fnv((const unsigned char*)e->d_name, strlen(e->d_name), names);
  }
  if (d) closedir(d);
  printf("dir %d entries names %016llx\n", entries, (unsigned long long)names);
  char exe[256] = {0};
  readlink("/proc/self/exe", exe, sizeof exe - 1);
  printf("cwd-independent exe basename: %s\n", strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe);
  return 0;
}
