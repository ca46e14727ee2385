#!/usr/bin/env python3
"""Record and replay cost of ckrr on multi-threaded programs, as ratios to native.

Same method as run_record_replay.py (whose helpers it uses): for each workload, one untimed
warm-up round, then N rounds of native run -> `ckrr record` -> `ckrr replay`, interleaved;
the median wall time of each mode; replay's stdout must equal record's, byte for byte, or
the workload fails. On top of that, from `ckrr info` of the last recording: threads,
processes, and preemptions (the recorder switching a thread that made no syscall for a tick,
at its syscall boundary or inside app code), per
second of recording.

    /usr/bin/python3 bench/run_threads.py --ckrr build/cli/ckrr [--runs N] [--quick]

Workloads: `xz -T2` compressing an ~8 MiB generated text file (two compressor threads),
/usr/bin/python3 with 8 threads hashing 2 MiB each (hashlib releases the GIL, so the threads
really run at once), and tests/programs/spin_token (two threads passing a token through an
atomic int, spinning without syscalls: every pass needs a preemption when recorded on one
CPU). Prints a table and writes bench/out/threads.json. Stdlib only; asserts no speed.
"""
import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
sys.path.insert(0, BENCH_DIR)
from run_record_replay import (Failure, check, dir_bytes, human, read, run_timed,  # noqa: E402
                               write_report)
PROGRAM_SOURCES = os.path.join(REPO_ROOT, "tests", "programs")
sys.path.insert(0, PROGRAM_SOURCES)
from words_file import words_file  # noqa: E402

PYTHON = "/usr/bin/python3"  # not the pyenv shim on PATH (a bash script that forks)

def workloads(programs, tmp):
    data = os.path.join(tmp, "words-8MiB.txt")
    words_file(data, 8 * 1024 * 1024)
    script = os.path.join(PROGRAM_SOURCES, "py_threads.py")
    return [
        # --block-size: xz's default block at -6 is 24 MiB, so 8 MiB would be one block and one
        # compressor thread; 2 MiB blocks keep both threads busy.
        ("xz -T2 8 MiB", ["xz", "-T2", "--block-size=2MiB", "-c", data]),
        ("python 8 threads sha256", [PYTHON, script]),
        ("spin_token 200", [os.path.join(programs, "spin_token"), "200"]),
    ]


def ckrr_info(ckrr, trace):
    """The `key: value` lines of `ckrr info`, and the integers this script uses (None where a
    line is missing or unparsable: older engines print no `preemptions:`)."""
    r = subprocess.run([ckrr, "info", trace], capture_output=True, text=True)
    info = {}
    for line in r.stdout.splitlines():
        if line[:1].isspace():
            continue
        key, sep, value = line.partition(":")
        if sep:
            info[key.strip()] = value.strip()

    def number(key, cast=int):
        m = re.match(r"[0-9]+(\.[0-9]*)?", info.get(key, ""))
        try:
            return cast(m.group(0)) if m else None
        except ValueError:
            return None

    return info, {
        "events": number("events"),
        "threads": number("threads"),
        "processes": number("processes"),
        "preemptions": number("preemptions"),
        "duration_s": number("duration", float),
    }


def bench_one(ckrr, name, argv, runs, tmp):
    slug = "".join(c if c.isalnum() else "_" for c in name)
    native_out, rec_out, rep_out = (os.path.join(tmp, f"{slug}.{m}.out") for m in ("native", "rec", "rep"))
    samples = {"native": [], "record": [], "replay": []}
    native_outputs = set()
    trace = None
    for i in range(runs + 1):  # round 0 is the warm-up, not timed
        trace = os.path.join(tmp, f"{slug}.trace{i}")
        n = run_timed(argv, native_out)
        check(n["rc"] == 0, f"{name}: native run exited {n['rc']}", n)
        native_outputs.add(read(native_out))
        r = run_timed([ckrr, "record", "-q", "-o", trace, "--"] + argv, rec_out)
        check(r["rc"] == 0, f"{name}: `ckrr record` exited {r['rc']}", r)
        p = run_timed([ckrr, "replay", trace], rep_out)
        check(p["rc"] == r["rc"], f"{name}: `ckrr replay` exited {p['rc']}, record exited {r['rc']}", p)
        check(read(rep_out) == read(rec_out),
              f"{name}: replay stdout ({len(read(rep_out))} bytes) differs from record stdout "
              f"({len(read(rec_out))} bytes); see {rec_out} and {rep_out}", p)
        if i > 0:
            for mode, res in (("native", n), ("record", r), ("replay", p)):
                samples[mode].append(res)
        if i < runs:
            shutil.rmtree(trace)  # keep only the last trace

    med = {m: {k: statistics.median(s[k] for s in samples[m]) for k in ("wall", "user", "sys", "csw")}
           for m in samples}
    info, counts = ckrr_info(ckrr, trace)
    nat, rec, rep = med["native"]["wall"], med["record"]["wall"], med["replay"]["wall"]
    duration = counts["duration_s"] or None  # the recording's own clock; falls back to wall time
    preempt = counts["preemptions"]
    return {
        "name": name,
        "argv": argv,
        "runs": runs,
        "median": med,
        "walls": {m: [s["wall"] for s in samples[m]] for m in samples},
        "record_over_native": rec / nat,
        "replay_over_native": rep / nat,
        "counts": counts,
        "preemptions_per_s_recording": (preempt / (duration or rec)) if preempt is not None else None,
        "distinct_native_outputs": len(native_outputs),
        "trace_dir_bytes": dir_bytes(trace),
        "info": info,
    }


def print_report(results, runs):
    print(f"\nckrr on threads vs native — median of {runs} run(s) after a warm-up, wall time")
    hdr = (f"{'workload':26} {'native':>9} {'record':>9} {'replay':>9} {'rec/nat':>8} {'rep/nat':>8}"
           f" {'cpu nat':>8} {'cpu rec':>8}")
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        m = r["median"]
        cpu = lambda mode: (m[mode]["user"] + m[mode]["sys"]) * 1e3
        print(f"{r['name']:26} {m['native']['wall']*1e3:7.1f}ms {m['record']['wall']*1e3:7.1f}ms "
              f"{m['replay']['wall']*1e3:7.1f}ms {r['record_over_native']:7.1f}x {r['replay_over_native']:7.1f}x"
              f" {cpu('native'):6.0f}ms {cpu('record'):6.0f}ms")

    print("\nlast recording (ckrr info); preempt/s = preemptions / recorded duration")
    hdr = (f"{'workload':26} {'events':>8} {'threads':>8} {'procs':>6} {'preempt':>8} {'preempt/s':>10}"
           f" {'trace dir':>10} {'native outs':>11}")
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        c = r["counts"]
        f = lambda v, fmt="%d": (fmt % v) if v is not None else "-"
        print(f"{r['name']:26} {f(c['events']):>8} {f(c['threads']):>8} {f(c['processes']):>6} "
              f"{f(c['preemptions']):>8} {f(r['preemptions_per_s_recording'], '%.0f'):>10} "
              f"{human(r['trace_dir_bytes']):>10} {r['distinct_native_outputs']:>11}")
    print("  'native outs': distinct native stdouts over all rounds (spin_token's differ by design)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ckrr", default=os.path.join(REPO_ROOT, "build", "cli", "ckrr"),
                    help="ckrr binary (default: build/cli/ckrr)")
    ap.add_argument("--programs", help="directory with spin_token (default: BUILD/tests/programs "
                                       "next to BUILD/cli/ckrr)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per mode (median reported; default 5)")
    ap.add_argument("--quick", action="store_true", help="one timed run per mode (smoke test)")
    ap.add_argument("--only", help="run only the workloads whose name contains this")
    ap.add_argument("--json", default=os.path.join(BENCH_DIR, "out", "threads.json"))
    args = ap.parse_args()
    runs = 1 if args.quick else args.runs
    ckrr = os.path.abspath(args.ckrr)
    programs = os.path.abspath(args.programs or os.path.join(os.path.dirname(os.path.dirname(ckrr)),
                                                             "tests", "programs"))
    missing = [p for p in (ckrr, os.path.join(programs, "spin_token"), PYTHON) if not os.access(p, os.X_OK)]
    if not shutil.which("xz"):
        missing.append("xz")
    if missing:
        sys.exit("missing: " + ", ".join(missing) + "\nbuild them: ninja -C build ckrr spin_token")

    load_before = os.getloadavg()
    results, failures = [], []
    with tempfile.TemporaryDirectory(prefix="ckrr-bench-threads-") as tmp:
        for name, argv in workloads(programs, tmp):
            if args.only and args.only not in name:
                continue
            print(f"running {name} ({runs} run(s) + warm-up per mode) ...", flush=True)
            try:
                results.append(bench_one(ckrr, name, argv, runs, tmp))
            except (Failure, subprocess.CalledProcessError) as e:
                failures.append({"name": name, "argv": argv, "error": str(e)})
                print(f"FAILED {name}: {e}", file=sys.stderr)
    load_after = os.getloadavg()
    print_report(results, runs)
    print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    if load_before[0] > 0.5 * (os.cpu_count() or 1) or load_after[0] > (os.cpu_count() or 1):
        print("warning: the machine was busy; figures are inflated, rerun on an idle machine", file=sys.stderr)

    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
        "loadavg_before": load_before, "loadavg_after": load_after,
        "ckrr": ckrr, "runs": runs, "results": results, "failures": failures,
    }
    write_report(args.json, doc, failures)


if __name__ == "__main__":
    main()
