// ckrr-gui: the timeline GUI as its own executable (same as `ckrr gui`).
#include "gui/GuiMain.h"

int main(int argc, char** argv) {
  return ckrr::gui::run_gui(argc, argv);
}
