#!/usr/bin/env python3
"""Checkpoint cost as the app sees it, side by side in one run (issue 12).

The app (programs/gap.c) touches MB megabytes, then loops ~1 ms of work between clock_gettime
calls and prints every gap over 3 ms. It is recorded with --checkpoint-interval 0; the script
asks for a checkpoint with `ckrr checkpoint`, waits for checkpoints/<id>/ to appear (renamed
into place after everything is fsynced: durable), has the app rewrite 10% of its pages, asks
for a second one, stops the app, then restarts from each checkpoint with `ckrr restart`. The
physical floor, dd writing and fsyncing MB to the same file system, is measured in the same run.

    ninja -C build ckrr ckrr_bench_gap
    python3 bench/run_checkpoint_stall.py --ckrr build/cli/ckrr [--mb 1024] [--runs 3]

Reported per run, then medians:
  stall      the largest gap the app saw between the request and durability (+0.5 s)
  durable    `ckrr checkpoint` started -> checkpoints/<id>/ exists
  incr       the same for the second checkpoint, after 10% of the pages were rewritten
  restart    `ckrr restart --checkpoint K` started -> the app's first line of output (it prints
             its restore gap at once), for K = 1 (pages in one pack) and 2 (patched from two)
  touch      the same -> the app has read one word of every page (asked right after its first
             line; with the lazy restore, the pages it reads before they are in are faults)
  e...       the same with CKRR_RESTORE=eager (pages copied in before the app runs)
  dd         dd if=/dev/zero bs=1M count=MB conv=fsync to the trace's file system
and where ckrr's publish time went (index meta checkpoint.<id>: read, hash, write, sync).
Nothing here asserts a speed.
"""
import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.002)
    raise SystemExit("timed out waiting for " + what)


def checkpoint_ids(trace):
    d = os.path.join(trace, "checkpoints")
    try:
        return {int(n) for n in os.listdir(d) if n.isdigit()}
    except FileNotFoundError:
        return set()


def gaps(path):
    out = []
    with open(path) as f:
        for line in f:
            m = re.match(r"gap ([0-9.]+) ms end (\d+)", line)
            if m:
                out.append((float(m.group(1)), int(m.group(2)) / 1e9))
    return out


def stall_in(gs, t0, t1):
    inside = [g for g, end in gs if t0 <= end <= t1]
    return max(inside) if inside else 3.0  # the app prints gaps over 3 ms only


def dd_floor(dir_, mb):
    f = os.path.join(dir_, "dd.tmp")
    t0 = time.monotonic()
    subprocess.run(["dd", "if=/dev/zero", "of=" + f, "bs=1M", "count=%d" % mb, "conv=fsync"],
                   check=True, stderr=subprocess.DEVNULL)
    t = time.monotonic() - t0
    os.unlink(f)
    return t


def one_run(a, dir_):
    trace = os.path.join(dir_, "trace")
    ctl = os.path.join(dir_, "ctl")
    out_path = os.path.join(dir_, "app.out")
    for p in (ctl, ctl + ".stop"):
        if os.path.exists(p):
            os.unlink(p)
    r = {"dd": dd_floor(dir_, a.mb)}
    with open(out_path, "w") as out:
        rec = subprocess.Popen([a.ckrr, "record", "-o", trace, "--force", "--checkpoint-interval",
                                "0", "--", a.gap, str(a.mb), "600", ctl], stdout=out,
                               stderr=subprocess.DEVNULL)
        wait_for(lambda: "ready" in open(out_path).read(), 120, "the app to be ready")
        time.sleep(0.5)

        def checkpoint():
            before = checkpoint_ids(trace)
            t0 = time.monotonic()
            subprocess.run([a.ckrr, "checkpoint", trace], check=True, stdout=subprocess.DEVNULL)
            new = wait_for(lambda: checkpoint_ids(trace) - before, 120, "a checkpoint")
            return t0, time.monotonic(), min(new)

        t0, t1, id1 = checkpoint()
        r["durable"] = t1 - t0
        win1 = (t0, t1 + 0.5)
        time.sleep(0.6)
        open(ctl, "w").close()
        wait_for(lambda: not os.path.exists(ctl), 60, "the app to dirty its pages")
        time.sleep(0.3)
        t0, t1, id2 = checkpoint()
        r["incr"] = t1 - t0
        win2 = (t0, t1 + 0.5)
        time.sleep(0.6)
        open(ctl + ".stop", "w").close()
        rec.wait(timeout=120)
        os.unlink(ctl + ".stop")
    gs = gaps(out_path)
    r["stall"] = stall_in(gs, *win1) / 1e3
    r["stall_incr"] = stall_in(gs, *win2) / 1e3
    db = sqlite3.connect(os.path.join(trace, "timeline.db"))
    meta = dict(db.execute("SELECT key, value FROM meta"))
    db.close()
    for k, i in (("t1", id1), ("t2", id2)):
        r[k] = meta.get("checkpoint.%d" % i, "")
    r["info"] = {k: v for k, v in meta.items() if "checkpoint" in k and not k.startswith("checkpoint.")}
    for mode, env in (("", {}), ("e", {"CKRR_RESTORE": "eager"})):
        for k, i in (("restart1", id1), ("restart2", id2)):
            t0 = time.monotonic()
            p = subprocess.Popen([a.ckrr, "restart", trace, "--checkpoint", str(i)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 env=dict(os.environ, **env))
            line = p.stdout.readline()
            r[mode + k] = time.monotonic() - t0
            if not line.startswith(b"gap"):
                print("warning: restart printed %r first" % line, file=sys.stderr)
            # Then every page read once: with a lazy restore, until all are in.
            open(ctl + ".touch", "w").close()
            while line and not line.startswith(b"touched"):
                line = p.stdout.readline()
            r[mode + "touch" + k[-1]] = time.monotonic() - t0
            open(ctl + ".stop", "w").close()
            p.stdout.read()
            p.wait(timeout=60)
            os.unlink(ctl + ".stop")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckrr", default=os.path.join(HERE, "..", "build", "cli", "ckrr"))
    ap.add_argument("--gap", default=os.path.join(HERE, "..", "build", "bench", "ckrr_bench_gap"))
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default=os.path.join(HERE, "out", "stall"))
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    print("%d MB, %d run(s), load %.1f" % (a.mb, a.runs, os.getloadavg()[0]))
    cols = ["stall", "stall_incr", "durable", "incr", "dd", "restart1", "restart2", "touch1",
            "touch2", "erestart1", "erestart2", "etouch1", "etouch2"]
    print("%4s " % "run" + " ".join("%9s" % c for c in cols))
    runs = []
    for n in range(a.runs):
        r = one_run(a, a.dir)
        runs.append(r)
        print("%4d " % (n + 1) + " ".join("%7.0fms" % (r[c] * 1e3) for c in cols))
        print("     ckpt 1: " + r["t1"] + "\n     ckpt 2: " + r["t2"])
        if r["info"]:
            print("     " + " ".join("%s=%s" % kv for kv in sorted(r["info"].items())))
    med = {c: statistics.median(r[c] for r in runs) for c in cols}
    print("median " + " ".join("%s %.0f ms" % (c, med[c] * 1e3) for c in cols))
    gb = a.mb / 1024
    print("targets: stall %.0f ms (<= %.0f), incr stall %.0f ms; durable/dd %.2f (<= 1.3); "
          "incr/first %.2f (<= 0.2); restart %.0f / %.0f ms (<= %.0f)" %
          (med["stall"] * 1e3, 15 * gb + 5, med["stall_incr"] * 1e3, med["durable"] / med["dd"],
           med["incr"] / med["durable"], med["restart1"] * 1e3, med["restart2"] * 1e3, 150 * gb))
    shutil.rmtree(os.path.join(a.dir, "trace"), ignore_errors=True)


if __name__ == "__main__":
    main()
