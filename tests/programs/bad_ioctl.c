// Makes an ioctl no plugin knows: recording must stop and name it.
#include <stdio.h>
#include <sys/ioctl.h>

int main(void) {
  printf("before\n");
  fflush(stdout);
  ioctl(0, 0x4321beefUL, 0);
  printf("after\n");
  return 0;
}
