#!/usr/bin/env python3
"""Stress loop for `make -j2` (issue 10): record make -j2 compiling five C files with gcc,
then replay it from the start and from every checkpoint, N times in a row, and count
divergences. Not a ctest (minutes per round on a loaded machine).

    bench/stress_make_j2.py [--rounds N] [--replays K] [--checkpoints] [--keep DIR]

--shell: the Makefile runs sh rules (echo > file, cat) instead of gcc.
Each round records a fresh trace (with --checkpoints: --checkpoint-interval 20ms) and replays
it K times from the start and, with --checkpoints, once from each checkpoint. A replay that
fails or prints other bytes is counted with its first stderr line; --keep keeps failing traces.
"""
import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CKRR = os.environ.get("CKRR_BIN", os.path.join(HERE, "..", "build", "cli", "ckrr"))


def c_project(d):
    """Five C files and a Makefile building `prog` from them (tests/e2e/test_threads.py)."""
    os.makedirs(d)
    for i, n in enumerate("abcd"):
        with open(os.path.join(d, n + ".c"), "w") as f:
            f.write(f"int f_{n}(int x) {{ return x * 3 + {i}; }}\n")
    with open(os.path.join(d, "main.c"), "w") as f:
        f.write("#include <stdio.h>\nint f_a(int),f_b(int),f_c(int),f_d(int);\n"
                "int main(void) { printf(\"%d\\n\", f_a(1)+f_b(2)+f_c(3)+f_d(4)); return 0; }\n")
    with open(os.path.join(d, "Makefile"), "w") as f:
        f.write("prog: a.o b.o c.o d.o main.o\n\tgcc -o prog $^\n"
                "%.o: %.c\n\tgcc -O2 -c $< -o $@\n")


def shell_project(d):
    """Six rules writing files through sh, then cat (test_threads.py test_make_j2)."""
    os.makedirs(d)
    parts = [f"part{i}.txt" for i in range(6)]
    rules = [f"all: {' '.join(parts)}\n\tcat {' '.join(parts)}\n"]
    for i, p in enumerate(parts):
        rules.append(f"{p}:\n\techo 'line {i} of {p}' > {p}\n\techo 'more {i}' >> {p}\n")
    with open(os.path.join(d, "Makefile"), "w") as f:
        f.write("\n".join(rules))


def clean(d):
    for n in os.listdir(d):
        if n.endswith(".o") or n == "prog" or n.startswith("part"):
            os.unlink(os.path.join(d, n))


def ckrr(*args):
    return subprocess.run([CKRR, *args], capture_output=True, timeout=600)


def first_error(r):
    lines = [l for l in r.stderr.decode(errors="replace").splitlines() if l.strip()]
    return lines[0][:200] if lines else f"status {r.returncode}, output differs"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--replays", type=int, default=1)
    ap.add_argument("--checkpoints", action="store_true")
    ap.add_argument("--shell", action="store_true",
                    help="make runs sh rules (echo, cat) instead of gcc")
    ap.add_argument("--keep", help="directory where failing traces are kept")
    opt = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="ckrr-makej2-")
    proj = os.path.join(tmp, "proj")
    (shell_project if opt.shell else c_project)(proj)
    counts = collections.Counter()
    errors = collections.Counter()
    try:
        for rnd in range(opt.rounds):
            trace = os.path.join(tmp, f"t{rnd}")
            clean(proj)
            args = ["record", "-q", "-o", trace]
            if opt.checkpoints:
                args += ["--checkpoint-interval", "20ms"]
            rec = ckrr(*args, "--", "make", "-s", "-j2", "-C", proj)
            if rec.returncode != 0:
                counts["record failed"] += 1
                errors["record: " + first_error(rec)] += 1
                continue
            # Before the fix, a slow mmap got a late `enter` and replay made it from the app's
            # (emulated) fd: count the recordings that have one.
            events = ckrr("events", trace).stdout.decode(errors="replace")
            counts["recordings with an mmap enter"] += " enter mmap" in events
            failed = False
            runs = [[] for _ in range(opt.replays)]
            if opt.checkpoints:
                rows = ckrr("checkpoints", trace).stdout.decode().splitlines()[1:]
                runs += [["--from-checkpoint", r.split()[0]] for r in rows if r.strip()]
            for extra in runs:
                clean(proj)
                r = ckrr("replay", trace, *extra)
                kind = "from checkpoint" if extra else "from start"
                counts[kind + " replays"] += 1
                ok = r.returncode == 0 and (rec.stdout.endswith(r.stdout) if extra
                                            else r.stdout == rec.stdout)
                if not ok:
                    failed = True
                    counts[kind + " divergences"] += 1
                    errors[f"{kind}: {first_error(r)}"] += 1
                    print(f"round {rnd} {' '.join(extra) or 'start'}: {first_error(r)}",
                          flush=True)
            counts["rounds with a divergence"] += failed
            if failed and opt.keep:
                os.makedirs(opt.keep, exist_ok=True)
                shutil.copytree(trace, os.path.join(opt.keep, f"t{rnd}-{os.getpid()}"))
            shutil.rmtree(trace, ignore_errors=True)
            print(f"round {rnd}: {dict(counts)}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("totals:", dict(counts))
    for e, n in errors.most_common():
        print(f"  {n:3d}  {e}")
    return 1 if counts["from start divergences"] + counts["from checkpoint divergences"] + \
        counts["record failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
