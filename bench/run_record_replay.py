#!/usr/bin/env python3
"""Record and replay cost of ckrr, as ratios to native, side by side in one run.

For each workload: median wall time of N native runs, N `ckrr record` runs and
N `ckrr replay` runs (after one untimed warm-up of each), the ratios to native,
the number of events, events and trace bytes per second of recording, and the
extra time per event. Replay's stdout must equal record's stdout, byte for
byte, or the script fails: determinism is the product.

    python3 bench/run_record_replay.py --ckrr build/cli/ckrr [--runs N] [--quick]

Prints a table and writes bench/out/record_replay.json. Stdlib only. Not a
test: nothing here asserts a speed; see bench/README.md for how to read it.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)


def workloads(bench_bin):
    """(name, argv). /usr/bin/python3, not the `python3` on PATH: a pyenv shim is a
    bash script that forks, and ckrr does not record child processes yet."""
    return [
        ("compute", [os.path.join(bench_bin, "ckrr_bench_compute")]),
        ("python3 -c pass", ["/usr/bin/python3", "-c", "pass"]),
        ("find /usr/share *.txt", ["find", "/usr/share", "-name", "*.txt"]),
        ("syscalls 50k x3", [os.path.join(bench_bin, "ckrr_bench_syscalls"), "50000"]),
        ("rdtsc 20k", [os.path.join(bench_bin, "ckrr_bench_rdtsc"), "20000"]),
        # Two more real syscall-heavy programs: a tree read file by file (tar to stdout:
        # GNU tar skips reading when the archive is /dev/null), and many small SQL queries
        # on a file database (pread/pwrite/fcntl/fstat per statement).
        ("tar c /usr/include/linux", ["tar", "cf", "-", "/usr/include/linux"]),
        ("sqlite3 2k queries", ["sqlite3", SQLITE_DB, ".read " + SQLITE_SCRIPT]),
    ]


SQLITE_DB = os.path.join(tempfile.gettempdir(), "ckrr-bench-sqlite.db")
SQLITE_SCRIPT = os.path.join(tempfile.gettempdir(), "ckrr-bench-sqlite.sql")


def write_sqlite_script():
    lines = ["PRAGMA journal_mode=DELETE;", "DROP TABLE IF EXISTS t;",
             "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"]
    for i in range(1000):
        lines.append(f"INSERT INTO t(v) VALUES('row {i}');")
        lines.append(f"SELECT count(*) FROM t WHERE v = 'row {i // 2}';")
    with open(SQLITE_SCRIPT, "w") as f:
        f.write("\n".join(lines) + "\n")


RECORD_ARGS = []


def run_timed(argv, out_path):
    """Runs argv with stdout to out_path (a regular file in every mode, so all three
    pay the same for output and we can compare it). Returns wall seconds, the
    child's user+sys CPU and its context switches (ckrr's tracee is reaped by
    ckrr, so RUSAGE_CHILDREN covers both processes), exit status and stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out_path, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": wall,
        "user": after.ru_utime - before.ru_utime,
        "sys": after.ru_stime - before.ru_stime,
        "csw": (after.ru_nvcsw + after.ru_nivcsw) - (before.ru_nvcsw + before.ru_nivcsw),
        "rc": p.returncode,
        "stderr": p.stderr.decode(errors="replace"),
    }


def read(path):
    with open(path, "rb") as f:
        return f.read()


def dir_bytes(path):
    """Bytes on disk under path (apparent sizes; each inode once, since saved
    files may be hard links)."""
    seen, total = set(), 0
    for root, _, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(root, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def ckrr_info(ckrr, trace):
    out = subprocess.run([ckrr, "info", trace], capture_output=True, text=True, check=True).stdout
    info = {}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key in ("events", "duration", "size"):
            info[key] = value.strip()
    return info


class Failure(Exception):
    pass


def check(ok, what, res=None):
    if not ok:
        detail = ("\n  stderr: " + res["stderr"].strip()) if res and res["stderr"].strip() else ""
        raise Failure(what + detail)


def bench_one(ckrr, name, argv, runs, tmp):
    """Warm-up, then `runs` rounds of native/record/replay interleaved (so that a
    slow drift of the machine hits all three modes alike)."""
    slug = "".join(c if c.isalnum() else "_" for c in name)
    native_out, rec_out, rep_out = (os.path.join(tmp, f"{slug}.{m}.out") for m in ("native", "rec", "rep"))
    samples = {"native": [], "record": [], "replay": []}
    trace = None
    for i in range(runs + 1):  # round 0 is the warm-up, not timed
        trace = os.path.join(tmp, f"{slug}.trace{i}")
        n = run_timed(argv, native_out)
        check(n["rc"] == 0, f"{name}: native run exited {n['rc']}", n)
        r = run_timed([ckrr, "record", "-q", *RECORD_ARGS, "-o", trace, "--"] + argv, rec_out)
        check(r["rc"] == 0, f"{name}: `ckrr record` exited {r['rc']}", r)
        p = run_timed([ckrr, "replay", trace], rep_out)
        check(p["rc"] == r["rc"], f"{name}: `ckrr replay` exited {p['rc']}, record exited {r['rc']}", p)
        # The product's promise: replay prints exactly what the recorded run printed.
        check(read(rep_out) == read(rec_out),
              f"{name}: replay stdout ({len(read(rep_out))} bytes) differs from record stdout "
              f"({len(read(rec_out))} bytes); see {rec_out} and {rep_out}", p)
        if read(native_out) != read(rec_out):
            # Not ckrr's guarantee (the world may change between runs) but unexpected here.
            print(f"warning: {name}: native and recorded stdout differ", file=sys.stderr)
        if i > 0:
            for mode, res in (("native", n), ("record", r), ("replay", p)):
                samples[mode].append(res)
        if i < runs:
            shutil.rmtree(trace)  # keep only the last trace, for sizes and info

    med = {m: {k: statistics.median(s[k] for s in samples[m]) for k in ("wall", "user", "sys", "csw")}
           for m in samples}
    info = ckrr_info(ckrr, trace)
    events = int(info.get("events", "0"))
    log_bytes = os.path.getsize(os.path.join(trace, "events.log"))
    db = os.path.join(trace, "timeline.db")
    db_bytes = os.path.getsize(db) if os.path.exists(db) else 0
    total_bytes = dir_bytes(trace)
    nat, rec, rep = med["native"]["wall"], med["record"]["wall"], med["replay"]["wall"]
    return {
        "name": name,
        "argv": argv,
        "runs": runs,
        "median": med,
        "walls": {m: [s["wall"] for s in samples[m]] for m in samples},
        "record_over_native": rec / nat,
        "replay_over_native": rep / nat,
        "events": events,
        "events_per_s_recording": events / rec,
        "events_log_bytes": log_bytes,
        "timeline_db_bytes": db_bytes,
        "trace_dir_bytes": total_bytes,
        "events_log_bytes_per_s_recording": log_bytes / rec,
        "trace_dir_bytes_per_s_recording": total_bytes / rec,
        # Extra time per event: what one event costs on top of running natively.
        "record_extra_us_per_event": (rec - nat) / events * 1e6 if events else None,
        "replay_extra_us_per_event": (rep - nat) / events * 1e6 if events else None,
        "record_csw_per_event": (med["record"]["csw"] - med["native"]["csw"]) / events if events else None,
        "replay_csw_per_event": (med["replay"]["csw"] - med["native"]["csw"]) / events if events else None,
        "info": info,
        "stdout_bytes": len(read(rec_out)),
    }


def stop_floor(bench_bin):
    """The kernel's own price for one ckrr-style stop, without ckrr (see programs/stopcost.c)."""
    exe = os.path.join(bench_bin, "ckrr_bench_stopcost")
    if not os.path.exists(exe):
        return None
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    return {k: float(v) for k, v in (line.split() for line in out.splitlines())}


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def print_report(results, floor, runs):
    print(f"\nckrr record/replay vs native — median of {runs} run(s) after a warm-up, wall time")
    hdr = f"{'workload':22} {'native':>9} {'record':>9} {'replay':>9} {'rec/nat':>8} {'rep/nat':>8}"
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        m = r["median"]
        print(f"{r['name']:22} {m['native']['wall']*1e3:7.1f}ms {m['record']['wall']*1e3:7.1f}ms "
              f"{m['replay']['wall']*1e3:7.1f}ms {r['record_over_native']:7.1f}x {r['replay_over_native']:7.1f}x")

    print("\ntrace: events and sizes (last recording); rates are per second of `ckrr record` wall time")
    hdr = (f"{'workload':22} {'events':>8} {'events/s':>9} {'events.log':>11} {'log/s':>11} "
           f"{'timeline.db':>11} {'whole dir':>10} {'dir/s':>11}")
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        print(f"{r['name']:22} {r['events']:8d} {r['events_per_s_recording']:9.0f} "
              f"{human(r['events_log_bytes']):>11} {human(r['events_log_bytes_per_s_recording']) + '/s':>11} "
              f"{human(r['timeline_db_bytes']):>11} {human(r['trace_dir_bytes']):>10} "
              f"{human(r['trace_dir_bytes_per_s_recording']) + '/s':>11}")

    print("\nwhere the time goes: (mode - native) / events; CPU = user+sys of ckrr and the app together")
    hdr = (f"{'workload':22} {'rec us/ev':>10} {'rep us/ev':>10} {'rec csw/ev':>10} {'rep csw/ev':>10} "
           f"{'rec user':>9} {'rec sys':>9} {'nat user':>9} {'nat sys':>9}")
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        m = r["median"]
        f = lambda v, fmt: (fmt % v) if v is not None else "-"
        print(f"{r['name']:22} {f(r['record_extra_us_per_event'], '%10.1f')} "
              f"{f(r['replay_extra_us_per_event'], '%10.1f')} {f(r['record_csw_per_event'], '%10.1f')} "
              f"{f(r['replay_csw_per_event'], '%10.1f')} "
              f"{m['record']['user']*1e3:7.0f}ms {m['record']['sys']*1e3:7.0f}ms "
              f"{m['native']['user']*1e3:7.0f}ms {m['native']['sys']*1e3:7.0f}ms")
    if floor:
        print("\nfloor measured now without ckrr (bench/programs/stopcost.c, tracer and tracee on one CPU), us per call:")
        for k, v in floor.items():
            print(f"  {k:44} {v:7.2f}")
        print("  ckrr's recorder stops twice per syscall (seccomp stop + syscall-exit stop), its replayer\n"
              "  once, and both set PR_SET_TSC on the app: compare 'rec us/ev' with\n"
              "  seccomp_plus_exit_stop_notsc and 'rep us/ev' with seccomp_stop_notsc.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ckrr", default=os.path.join(REPO_ROOT, "build", "cli", "ckrr"),
                    help="ckrr binary (default: build/cli/ckrr); the workloads are taken from its build dir")
    ap.add_argument("--bench-bin", help="directory with ckrr_bench_* (default: BUILD/bench next to BUILD/cli/ckrr)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per mode (median reported; default 5)")
    ap.add_argument("--quick", action="store_true", help="one timed run per mode (smoke test)")
    ap.add_argument("--json", default=os.path.join(BENCH_DIR, "out", "record_replay.json"))
    ap.add_argument("--record-arg", action="append", default=[],
                    help="extra argument for `ckrr record` (e.g. --agent, --no-agent); repeatable")
    ap.add_argument("--only", action="append", default=[],
                    help="run only the workloads whose name contains this (repeatable)")
    args = ap.parse_args()
    global RECORD_ARGS
    RECORD_ARGS = args.record_arg
    write_sqlite_script()
    runs = 1 if args.quick else args.runs
    ckrr = os.path.abspath(args.ckrr)
    bench_bin = os.path.abspath(args.bench_bin or os.path.join(os.path.dirname(os.path.dirname(ckrr)), "bench"))
    missing = [p for p in (ckrr, os.path.join(bench_bin, "ckrr_bench_compute"),
                           os.path.join(bench_bin, "ckrr_bench_syscalls")) if not os.access(p, os.X_OK)]
    if missing:
        sys.exit("missing: " + ", ".join(missing) + "\nbuild them: ninja -C build ckrr ckrr_bench_compute "
                 "ckrr_bench_syscalls ckrr_bench_stopcost")

    # Other work on this 2-core machine (a compiler in another worktree) inflates
    # every figure, ckrr's most: its stops are context switches. Record the load.
    load_before = os.getloadavg()
    results, failures = [], []
    with tempfile.TemporaryDirectory(prefix="ckrr-bench-") as tmp:
        for name, argv in workloads(bench_bin):
            if args.only and not any(o in name for o in args.only):
                continue
            print(f"running {name} ({runs} run(s) + warm-up per mode) ...", flush=True)
            try:
                results.append(bench_one(ckrr, name, argv, runs, tmp))
            except (Failure, subprocess.CalledProcessError) as e:
                failures.append({"name": name, "argv": argv, "error": str(e)})
                print(f"FAILED {name}: {e}", file=sys.stderr)
    floor = stop_floor(bench_bin)
    load_after = os.getloadavg()
    print_report(results, floor, runs)
    print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    # The benchmark itself keeps about one CPU busy, so allow for it in load_after.
    if load_before[0] > 0.5 * (os.cpu_count() or 1) or load_after[0] > (os.cpu_count() or 1):
        print("warning: the machine was busy; figures are inflated, rerun on an idle machine", file=sys.stderr)

    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
        "loadavg_before": load_before, "loadavg_after": load_after,
        "ckrr": ckrr, "record_args": RECORD_ARGS, "runs": runs, "results": results, "failures": failures, "stop_floor_us": floor,
    }
    write_report(args.json, doc, failures)


def write_report(path, doc, failures):
    """Writes the JSON report; lists the failed workloads and exits 1 if there are any."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
    print(f"\nwrote {path}")
    if failures:
        print("\nFAILED workloads:", file=sys.stderr)
        for fl in failures:
            print(f"  {fl['name']}: {fl['error']}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
