// Asks the terminal questions (isatty, window size): replay answers as recorded.
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void) {
  struct winsize ws = {0};
  int r = ioctl(1, TIOCGWINSZ, &ws);
  printf("isatty(0)=%d isatty(1)=%d winsz=%d %dx%d\n", isatty(0), isatty(1), r, ws.ws_col,
         ws.ws_row);
  return 0;
}
