#pragma once
// Entry point of `ckrr gui`, shared by the ckrr CLI and the standalone ckrr-gui executable.
//
//   argv[0] program name, then: TRACE [--screenshot FILE.png [--select EVENT] [--size WxH]]
// (a leading "gui" argument is skipped, so the CLI may pass its argv from "gui" on).
// With --screenshot the window is rendered offscreen to FILE.png and the function returns.
// Returns the process exit status.
namespace ckrr::gui {

int run_gui(int argc, char** argv);

}  // namespace ckrr::gui
