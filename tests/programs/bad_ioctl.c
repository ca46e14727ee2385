// Makes an ioctl no plugin knows: it is recorded (from its _IOC encoding) and named in
// `ckrr info`; the recording goes on.
#include <stdio.h>
#include <sys/ioctl.h>

int main(void) {
  printf("before\n");
  fflush(stdout);
  ioctl(0, 0x4321beefUL, 0);
  printf("after\n");
  return 0;
}
