#include "gui/TerminalLauncher.h"

#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

namespace ckrr::gui {

QString TerminalLauncher::terminal() {
  const QString env = qEnvironmentVariable("TERMINAL");
  if (!env.isEmpty()) {
    const QString p = QStandardPaths::findExecutable(env);
    if (!p.isEmpty()) return p;
  }
  for (const char* t : {"x-terminal-emulator", "xterm", "konsole", "gnome-terminal",
                        "xfce4-terminal", "alacritty", "kitty"}) {
    const QString p = QStandardPaths::findExecutable(QString::fromLatin1(t));
    if (!p.isEmpty()) return p;
  }
  return {};
}

bool TerminalLauncher::launch(const QString& program, const QStringList& args, QString* error) {
  const QString term = terminal();
  if (term.isEmpty()) {
    if (error) *error = QObject::tr("no terminal emulator found (set $TERMINAL)");
    return false;
  }
  QStringList targs;
  const QString name = QFileInfo(term).fileName();
  // gnome-terminal and kitty take the command after "--"; the others after -e.
  if (name == "gnome-terminal" || name == "kitty")
    targs << "--";
  else
    targs << "-e";
  targs << program << args;
  if (!QProcess::startDetached(term, targs)) {
    if (error) *error = QObject::tr("cannot start %1").arg(term);
    return false;
  }
  return true;
}

}  // namespace ckrr::gui
