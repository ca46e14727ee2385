#!/bin/sh
# Installs what ckrr needs to build and test on Debian 12, when it is missing.
# Usage: scripts/install-deps.sh [--gui]
set -eu
pkgs="cmake ninja-build g++ pkg-config libzstd-dev libxxhash-dev libsqlite3-dev libgtest-dev python3 gdb sqlite3 perl xz-utils strace make dpkg-dev"
case "${1:-}" in
  --gui) pkgs="$pkgs qt6-base-dev libcapstone-dev libgl-dev" ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
