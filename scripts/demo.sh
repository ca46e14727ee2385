#!/bin/sh
# The main job on the bundled demo: record it, replay it, show the timeline summary.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --gui
scripts/build.sh
trace=build/demo-trace
echo "== ckrr record (the demo prints the time, random numbers, its pid and a file's hash)"
build/cli/ckrr record --force -o "$trace" -- build/demo/ckrr-demo demo/README.txt
echo "== ckrr replay (the same output, although time has moved on)"
sleep 1
build/cli/ckrr replay "$trace"
echo "== ckrr info"
build/cli/ckrr info "$trace"
echo "== ckrr events (first 15)"
build/cli/ckrr events "$trace" --limit 15
if build/cli/ckrr gui --help >/dev/null 2>&1; then
  echo "== ckrr gui: the timeline, written to build/demo-timeline.png"
  QT_QPA_PLATFORM=offscreen build/cli/ckrr gui "$trace" --screenshot build/demo-timeline.png
fi
