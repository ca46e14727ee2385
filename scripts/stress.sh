#!/bin/sh
# Stress loop (issue 10's acceptance): runs the threads/process-tree and syscall suites N times
# in a row against a build, and counts the runs that failed. Not part of `ctest` (it takes
# N times a suite's time); results go to stdout, failures' logs to $OUT (default /tmp).
# Usage: scripts/stress.sh [N] [BUILD_DIR]
set -u
n="${1:-20}"
build="$(cd "${2:-build}" && pwd)"
out="${OUT:-/tmp}"
cd "$(dirname "$0")/../tests/e2e"
failed=0
i=1
while [ "$i" -le "$n" ]; do
  for suite in test_threads test_syscalls; do
    log="$out/ckrr-stress-$suite-$i.log"
    if CKRR_BIN="$build/cli/ckrr" CKRR_TEST_PROGRAMS="$build/tests/programs" \
        PYTHONDONTWRITEBYTECODE=1 python3 -m unittest "$suite" >"$log" 2>&1; then
      rm -f "$log"
    else
      failed=$((failed + 1))
      echo "run $i: $suite failed (log: $log)"
    fi
  done
  i=$((i + 1))
done
echo "stress: $n rounds, $failed failed suite runs"
[ "$failed" -eq 0 ]
