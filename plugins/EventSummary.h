#pragma once
// The one-line text of an event stored in the index ("openat("/etc/passwd") = 3"), shown by
// `ckrr events` and the GUI.
#include <string>

#include "storage/Event.h"

namespace ckrr {

std::string summarize_event(const Event& e);

}  // namespace ckrr
