#!/bin/sh
# Builds the Debian package from BUILD_DIR (cpack), checks what it declares and contains, then
# unpacks it into an empty directory tree and records and replays a program with the ckrr
# from there (no system-wide install). Usage: check_deb.sh BUILD_DIR PROGRAM [ARGS...]
set -eu
build=$(cd "$1" && pwd)
shift
work=$(mktemp -d /tmp/ckrr-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "check_deb: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$work"/out/ckrr_*_amd64.deb) || fail "no .deb produced"
info=$(dpkg-deb -I "$deb")
echo "$info" | grep -q '^ Package: ckrr$' || fail "no Package field"
depends=$(echo "$info" | sed -n 's/^ Depends: //p')
for lib in libc6 libstdc++6 libzstd1 libsqlite3-0; do
  echo "$depends" | grep -q "$lib" || fail "Depends lacks $lib: $depends"
done
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/ckrr ./usr/lib/ckrr/libckrr_agent.so ./usr/share/man/man1/ckrr.1 ./usr/share/bash-completion/completions/ckrr \
         ./usr/share/doc/ckrr/README.md; do
  echo "$contents" | grep -q " $f" || fail "$f is not in the package"
done

root="$work/root"
dpkg-deb -x "$deb" "$root"
ckrr="$root/usr/bin/ckrr"
"$ckrr" --version | grep -q '^ckrr ' || fail "ckrr --version"
"$ckrr" record -q -o "$work/trace" -- "$@" >"$work/rec.out" || fail "record"
"$ckrr" replay "$work/trace" >"$work/rep.out" || fail "replay"
cmp -s "$work/rec.out" "$work/rep.out" || fail "replay output differs from the recording"
[ "$("$ckrr" events "$work/trace" --kind exit | wc -l)" -ge 1 ] || fail "events"
# The agent (on by default) is found in the package's private library directory.
"$ckrr" info "$work/trace" | grep -q '^agent: on' || fail "the agent was not loaded"
# And without it.
"$ckrr" record -q --no-agent -o "$work/trace-noagent" -- "$@" >"$work/rec-noagent.out" \
  2>"$work/rec-noagent.err" || fail "record --no-agent: $(cat "$work/rec-noagent.err")"
"$ckrr" info "$work/trace-noagent" | grep -q '^agent: off' || fail "--no-agent loaded the agent"
"$ckrr" replay "$work/trace-noagent" >"$work/rep-noagent.out" || fail "replay without the agent"
cmp -s "$work/rec-noagent.out" "$work/rep-noagent.out" || fail "replay without the agent differs"

# The man page holds every command's --help; it renders when man is there.
for c in record replay events info; do
  grep -q "^\.SS $c\$" "$root/usr/share/man/man1/ckrr.1" || fail "man page lacks $c"
done
if command -v man >/dev/null 2>&1; then
  MANWIDTH=80 man -l "$root/usr/share/man/man1/ckrr.1" 2>/dev/null | grep -q "ckrr events" ||
    fail "man -l does not render the page"
fi
# Completion: commands, then a command's options.
comp=$(PATH="$root/usr/bin:$PATH" bash -c ". '$root/usr/share/bash-completion/completions/ckrr'
  COMP_WORDS=(ckrr ev); COMP_CWORD=1; _ckrr; echo \"\${COMPREPLY[*]}\"
  COMP_WORDS=(ckrr events --js); COMP_CWORD=2; _ckrr; echo \"\${COMPREPLY[*]}\"")
echo "$comp" | grep -qx "events" || fail "completion of commands: $comp"
echo "$comp" | grep -qx -- "--json" || fail "completion of options: $comp"
echo "check_deb: $(basename "$deb") OK"
