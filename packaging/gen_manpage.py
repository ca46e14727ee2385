#!/usr/bin/env python3
"""Writes ckrr.1 (troff, man(7) macros) from the program's own --help texts, so the man page
and `--help` never disagree. Usage: gen_manpage.py PATH/TO/ckrr OUT.1 VERSION"""
import re
import subprocess
import sys


def help_text(ckrr, *args):
    r = subprocess.run([ckrr, *args, "--help"], capture_output=True, text=True, timeout=30)
    return r.stdout


def esc(line):
    # troff: a leading dot or quote would be a request; backslashes must be doubled.
    line = line.replace("\\", "\\e")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line.replace("-", "\\-")


def main():
    ckrr, out, version = sys.argv[1], sys.argv[2], sys.argv[3]
    top = help_text(ckrr)
    commands = []
    for line in top.splitlines():
        m = re.match(r"^  ([a-z]+) ", line)
        if m and m.group(1) not in commands:
            commands.append(m.group(1))
    if not commands:
        sys.exit("gen_manpage: no commands found in 'ckrr --help'")
    lines = [
        f'.TH CKRR 1 "" "ckrr {version}" "User Commands"',
        ".SH NAME",
        "ckrr \\- record and replay Linux x86\\-64 programs, and debug them backwards with gdb",
        ".SH SYNOPSIS",
        ".B ckrr",
        ".I command",
        "[options]",
        ".SH DESCRIPTION",
        ".nf",
    ]
    lines += [esc(l) for l in top.splitlines()]
    lines += [".fi"]
    lines += [".SH COMMANDS"]
    for c in commands:
        text = help_text(ckrr, c)
        if not text.strip():
            continue
        lines += [".SS " + c, ".nf"] + [esc(l) for l in text.splitlines()] + [".fi"]
    lines += [
        ".SH EXIT STATUS",
        "ckrr record and ckrr replay exit with the program's status (128+N when it was killed by "
        "signal N); 127 when the program is not found; 125 when ckrr itself failed (the reason "
        "is printed: a divergence, a corrupt trace, a full disk).",
        ".SH FILES",
        "A trace is a directory created 0700 with files 0600: events.log (the inputs), "
        "timeline.db (SQLite index), files/ (copies of executed and mapped files), "
        "checkpoints/.",
        ".SH SEE ALSO",
        ".BR gdb (1),",
        ".BR strace (1)",
    ]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
