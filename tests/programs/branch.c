// Takes a different path depending on argv[1]; the divergence test edits the recorded argv.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int v = (argc > 1 && strcmp(argv[1], "a") == 0) ? getpid() : getppid();
  printf("%d\n", v > 0);
  return 0;
}
