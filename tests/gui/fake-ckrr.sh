#!/bin/sh
# TEST SCAFFOLDING for SeekRunner's process plumbing only: it obeys the output contract of
# `ckrr replay TRACE --to N --print-state --state-out FILE --progress` without replaying
# anything. The real end-to-end seek test (tst_seekrunner::realSeek) runs the built ckrr.
# FAKE_CKRR_SLEEP=S waits S seconds first (cancel/stale tests); --to 666 fails like a divergence.
[ "$1" = replay ] || { echo "fake-ckrr: unexpected command $1" >&2; exit 2; }
shift 2
to=""; out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --to) to=$2; shift ;;
    --state-out) out=$2; shift ;;
  esac
  shift
done
[ -n "$FAKE_CKRR_SLEEP" ] && sleep "$FAKE_CKRR_SLEEP"
if [ "$to" = 666 ]; then
  echo "ckrr-progress: 1/666" >&2
  echo "ckrr: divergence at event 666: expected read = 5, got 3" >&2
  exit 125
fi
echo "ckrr-progress: 0/$to" >&2
echo "hello from the program"
echo "ckrr-progress: $((to / 2))/$to" >&2
echo "program stderr line" >&2
printf 'no newline at the end' >&2
cat > "$out" <<EOT
event: $to
thread: 4242
rip: 0x0000000000401000 main+0x10
reg rax 0x000000000000002a
reg rip 0x0000000000401000
memory: 0123abcd
fds: 4567ef
EOT
exit 0
