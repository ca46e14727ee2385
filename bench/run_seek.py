#!/usr/bin/env python3
"""Seek benchmark (not a test): how long `ckrr replay --to EVENT` takes to reach the last event
of recordings of growing length, from the latest checkpoint (the default) and from the start.
The first should stay flat as the recording grows; the second grows linearly.

    python3 bench/run_seek.py --ckrr build/cli/ckrr [--durations 10,30,60] [--interval 1s]
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time


def run(cmd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr.decode(errors='replace')}")
    return dt, r


def dir_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ckrr", default="build/cli/ckrr")
    ap.add_argument("--workload", default="build/bench/ckrr_bench_steady")
    ap.add_argument("--durations", default="10,30,60")
    ap.add_argument("--interval", default="1s")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ckrr-seek-")
    rows = []
    try:
        for d in [float(x) for x in args.durations.split(",")]:
            trace = os.path.join(tmp, f"t{int(d)}")
            rec_s, _ = run([args.ckrr, "record", "-q", "--checkpoint-interval", args.interval,
                            "-o", trace, "--", args.workload, str(d)])
            info = run([args.ckrr, "info", trace])[1].stdout.decode()
            events = int([l for l in info.splitlines() if l.startswith("events: ")][0].split()[1])
            cps = run([args.ckrr, "checkpoints", trace])[1].stdout.decode().splitlines()[1:]
            last_cp = cps[-1].split() if cps else None
            target = events - 1
            state = os.path.join(tmp, "state")
            seek_ck, _ = run([args.ckrr, "replay", trace, "--to", str(target), "--print-state",
                              "--state-out", state])
            a = open(state).read()
            seek_start, _ = run([args.ckrr, "replay", trace, "--to", str(target),
                                 "--print-state", "--state-out", state, "--from-start"])
            if open(state).read() != a:
                raise SystemExit(f"state at event {target} differs from start vs checkpoint")
            restore = None
            if last_cp:
                restore, _ = run([args.ckrr, "replay", trace, "--to", last_cp[1],
                                  "--from-checkpoint", last_cp[0], "--print-state",
                                  "--state-out", state])
            rows.append(dict(seconds=d, record_s=rec_s, events=events, checkpoints=len(cps),
                             seek_from_checkpoint_s=seek_ck, seek_from_start_s=seek_start,
                             restore_and_print_s=restore, trace_bytes=dir_size(trace)))
            shutil.rmtree(trace)
            r = rows[-1]
            print(f"{d:5.0f} s recorded: {events:7d} events, {len(cps):3d} checkpoints, "
                  f"seek to the end: {seek_ck*1000:8.1f} ms from the latest checkpoint, "
                  f"{seek_start*1000:9.1f} ms from the start; restore+print {restore*1000 if restore else 0:6.1f} ms; "
                  f"trace {r['trace_bytes']/2**20:6.1f} MiB", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs("bench/out", exist_ok=True)
    with open("bench/out/seek.json", "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
