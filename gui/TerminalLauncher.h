#pragma once
// Opens a command in a terminal emulator ($TERMINAL, x-terminal-emulator, xterm, konsole,
// gnome-terminal...), for "Debug here" which runs gdb interactively.
#include <QString>
#include <QStringList>

namespace ckrr::gui {

class TerminalLauncher {
 public:
  // The terminal that would be used, or empty when none is installed.
  static QString terminal();
  // Starts `program args...` in a new terminal window, detached. On failure returns false
  // and *error says why (no terminal, cannot start).
  static bool launch(const QString& program, const QStringList& args, QString* error);
};

}  // namespace ckrr::gui
