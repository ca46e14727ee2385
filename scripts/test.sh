#!/bin/sh
# Builds everything (the GUI included, so its tests run too) and runs all tests.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --gui
scripts/build.sh -DCKRR_BUILD_GUI=ON
cd build
ctest --output-on-failure -j1
