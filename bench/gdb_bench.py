#!/usr/bin/env python3
"""What going back costs in `ckrr replay --gdb`: wall time of one reverse-stepi, one
reverse-continue over about a second of recording, and `monitor seek` across a long
recording. Real gdb drives the stub; figures only, nothing asserted (not a test).

    python3 bench/gdb_bench.py --build build [--long-seconds 60] [--runs 5]

Workloads (built with the project: tests/programs/gdb_loop, bench/programs/compute.c):
  - gdb_loop 50 20000: a function called 50 times, 20 ms apart (~1 s, sleeps replayed as
    recorded results, so replay is fast): reverse-stepi at the 50th call; reverse-continue from
    the exit back to main.
  - ckrr_bench_compute 10000: ~1 s of computation with hardly a syscall: reverse-continue from
    the exit back to main replays that second for real.
  - gdb_loop N 20000 for --long-seconds, checkpoints every second (the default interval):
    monitor seek to the end, to the middle, to the start.
  - gdb_threads 300 2000 (--threads-rounds; 4 threads, one racing global; tests/programs/gdb_threads.c):
    from the exit, reverse-continue to the last add_one call, and `watch racy_global` +
    reverse-continue to its last write (in another thread than the stop's); the program's
    native run time is measured in the same run, for the ratio.
--only threads runs that last workload alone.
Each operation is tried --runs times in one gdb session (fresh stub per workload): the first
try, the median and the best are printed.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GDB_PRELUDE = r'''
import gdb, os, time
def run(c):
    return gdb.execute(c, to_string=True)
def timed(name, c):
    t = time.monotonic()
    run(c)
    print("BENCH %s %.6f" % (name, time.monotonic() - t), flush=True)
run("set confirm off")
run("set pagination off")
run("set may-write-memory off")
run("target extended-remote 127.0.0.1:" + os.environ["PORT"])
'''


def start_stub(ckrr, trace, *extra):
    p = subprocess.Popen([ckrr, "replay", trace, "--gdb", ":0", *extra],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    line = p.stderr.readline().decode()
    m = re.search(r"listening on [^:]+:(\d+)", line)
    if not m:
        p.kill()
        sys.exit("stub did not start: " + line + p.stderr.read().decode(errors="replace"))
    return p, m.group(1)


def drive(ckrr, trace, body, extra=()):
    stub, port = start_stub(ckrr, trace, *extra)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(GDB_PRELUDE + body + '\nrun("kill")\n')
    try:
        r = subprocess.run(["gdb", "-batch", "-nx", "-x", f.name], capture_output=True,
                           timeout=3600, env={**os.environ, "PORT": port})
    finally:
        os.unlink(f.name)
        stub.wait(timeout=60)
        stub.stderr.close()
    out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    times = {}
    for name, secs in re.findall(r"^BENCH (\S+) ([0-9.]+)$", out, re.M):
        times.setdefault(name, []).append(float(secs))
    if r.returncode != 0 or not times:
        sys.exit("gdb failed:\n" + out)
    return times


def record(ckrr, trace, argv, *opts):
    t = time.monotonic()
    r = subprocess.run([ckrr, "record", "-q", "-o", trace, *opts, "--", *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode == 125:
        sys.exit("recording failed: " + r.stderr.decode(errors="replace"))
    return time.monotonic() - t


def events(ckrr, trace):
    out = subprocess.run([ckrr, "info", trace], capture_output=True).stdout.decode()
    m = re.search(r"^events: (\d+)", out, re.M)
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--long-seconds", type=float, default=60)
    ap.add_argument("--only", choices=["threads"], help="run one workload")
    ap.add_argument("--threads-rounds", type=int, default=300, help="gdb_threads ROUNDS")
    a = ap.parse_args()
    if not shutil.which("gdb"):
        sys.exit("gdb is not installed")
    ckrr = os.path.join(a.build, "cli", "ckrr")
    loop = os.path.join(a.build, "tests", "programs", "gdb_loop")
    compute = os.path.join(a.build, "bench", "ckrr_bench_compute")
    tmp = tempfile.mkdtemp(prefix="ckrr-gdb-bench-")
    rows = []
    try:
        if a.only != "threads":
            single_thread_workloads(a, ckrr, loop, compute, tmp, rows)
        # 4. Threads: reverse-continue and reverse watchpoint on 4 threads.
        threads = os.path.join(a.build, "tests", "programs", "gdb_threads")
        t4 = os.path.join(tmp, "threads")
        argv = [threads, str(a.threads_rounds), "2000"]
        natives = []
        for i in range(a.runs):
            t = time.monotonic()
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
            natives.append(time.monotonic() - t)
        native = statistics.median(natives)
        secs = record(ckrr, t4, argv)
        times = drive(ckrr, t4, f'''
run("continue")  # to the exit
run("break add_one")
for i in range({a.runs}):
    timed("rc-threads", "reverse-continue")
    run("continue")
run("delete")
run("watch racy_global")
for i in range({a.runs}):
    timed("rw-threads", "reverse-continue")
    run("continue")
''')
        what = f"gdb_threads, {secs:.2f} s, {events(ckrr, t4)} events"
        rows.append(("reverse-continue exit -> last add_one", what, times["rc-threads"]))
        rows.append(("watch racy_global + reverse-continue", what, times["rw-threads"]))
        ratio_of = native
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # "first": the first try, before in-memory snapshots near the target exist (from an on-disk
    # checkpoint or the start); later tries usually start from a snapshot.
    print(f"{'operation':44} {'recording':48} {'first':>9} {'median':>9} {'min':>9}")
    for op, what, ts in rows:
        print(f"{op:44} {what:48} {ts[0]:8.3f}s {statistics.median(ts):8.3f}s {min(ts):8.3f}s")
    print(f"gdb_threads native run (median of {a.runs}): {ratio_of:.3f} s; median latencies as "
          f"multiples of it: reverse-continue {statistics.median(times['rc-threads']) / ratio_of:.1f}x, "
          f"reverse watchpoint {statistics.median(times['rw-threads']) / ratio_of:.1f}x")


def single_thread_workloads(a, ckrr, loop, compute, tmp, rows):
    if True:
        # 1. reverse-stepi, reverse-continue over ~1 s of a sleepy loop.
        t1 = os.path.join(tmp, "loop1s")
        secs = record(ckrr, t1, [loop, "50", "20000"])
        times = drive(ckrr, t1, f'''
run("break bump if step == 50")
run("continue")
run("delete")
for i in range({a.runs}):
    timed("reverse-stepi", "reverse-stepi")
    run("stepi")
run("continue")  # to the exit
run("break main")
for i in range({a.runs}):
    timed("reverse-continue", "reverse-continue")
    run("continue")
''')
        rows.append(("reverse-stepi at a breakpoint stop", f"gdb_loop, {secs:.2f} s", times["reverse-stepi"]))
        rows.append(("reverse-continue exit -> main", f"gdb_loop, {secs:.2f} s, {events(ckrr, t1)} events",
                     times["reverse-continue"]))
        # 2. reverse-continue over ~1 s of computation.
        t2 = os.path.join(tmp, "compute")
        secs = record(ckrr, t2, [compute, "10000"])
        times = drive(ckrr, t2, f'''
run("continue")
run("break main")
for i in range({a.runs}):
    timed("reverse-continue", "reverse-continue")
    run("continue")
''')
        rows.append(("reverse-continue exit -> main", f"compute, {secs:.2f} s, {events(ckrr, t2)} events",
                     times["reverse-continue"]))
        # 3. monitor seek across a long recording with checkpoints.
        t3 = os.path.join(tmp, "long")
        n = max(10, int(a.long_seconds / 0.02))
        secs = record(ckrr, t3, [loop, str(n), "20000"], "--checkpoint-interval", "1s")
        total = events(ckrr, t3)
        times = drive(ckrr, t3, f'''
for i in range({a.runs}):
    timed("seek-end", "monitor seek {total - 2}")
    timed("seek-middle", "monitor seek {total // 2}")
    timed("seek-start", "monitor seek 1")
''')
        cks = len(subprocess.run([ckrr, "checkpoints", t3], capture_output=True).stdout.splitlines()) - 1
        what = f"gdb_loop, {secs:.1f} s, {total} events, {cks} checkpoints"
        rows.append((f"monitor seek start -> event {total - 2} (end)", what, times["seek-end"]))
        rows.append((f"monitor seek end -> event {total // 2} (middle)", what, times["seek-middle"]))
        rows.append(("monitor seek middle -> start", what, times["seek-start"]))


if __name__ == "__main__":
    main()
