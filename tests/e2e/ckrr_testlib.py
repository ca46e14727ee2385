"""Helpers for the end-to-end tests: run the real ckrr binary on real programs."""
import os
import shutil
import subprocess
import tempfile
import unittest

CKRR = os.environ.get("CKRR_BIN", os.path.join(os.getcwd(), "cli", "ckrr"))
PROGRAMS = os.environ.get("CKRR_TEST_PROGRAMS", os.path.join(os.getcwd(), "tests", "programs"))


def prog(name):
    return os.path.join(PROGRAMS, name)


class CkrrTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ckrr-e2e-")

    def tearDown(self):
        if not os.environ.get("CKRR_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def run_native(self, argv, **kw):
        return subprocess.run(argv, capture_output=True, timeout=120, **kw)

    def ckrr(self, *args, **kw):
        return subprocess.run([CKRR, *args], capture_output=True, timeout=300, **kw)

    def checkpoints(self, trace, recording=False):
        """(id, event) of each checkpoint of trace. recording: polled while `ckrr record` may
        not have made the index yet, so a failure means none yet."""
        r = self.ckrr("checkpoints", trace)
        if recording and r.returncode != 0:
            return []
        self.assertEqual(r.returncode, 0, r.stderr)
        return [tuple(int(x) for x in line.split()[:2])
                for line in r.stdout.decode().splitlines()[1:]]

    def state(self, trace, n, *how):
        """The --print-state text of a replay to event n (how: e.g. --from-start)."""
        out = self.path("state.txt")
        r = self.ckrr("replay", trace, "--to", str(n), "--print-state", "--state-out", out, *how)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        with open(out) as f:
            return f.read()

    def record(self, trace, argv, **kw):
        r = self.ckrr("record", "-q", "-o", trace, "--", *argv, **kw)
        return r

    def assert_replays(self, trace, recorded, times=2, between=None):
        """Replays `times` times (calling between() before each) and checks that stdout and
        the exit status equal the recording's."""
        for i in range(times):
            if between:
                between(i)
            r = self.ckrr("replay", trace)
            self.assertEqual(
                r.returncode, recorded.returncode,
                f"replay {i} exit status differs; stderr: {r.stderr.decode(errors='replace')}")
            self.assertEqual(r.stdout, recorded.stdout, f"replay {i} output differs")

    def record_and_replay(self, argv, name="trace", times=2, between=None, **kw):
        trace = self.path(name)
        rec = self.record(trace, argv, **kw)
        self.assertNotEqual(rec.returncode, 125,
                            f"recording failed: {rec.stderr.decode(errors='replace')}")
        self.assert_replays(trace, rec, times=times, between=between)
        return trace, rec

    def events(self, trace, *args):
        r = self.ckrr("events", trace, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.decode().splitlines()

    def info(self, trace):
        r = self.ckrr("info", trace)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = {}
        for line in r.stdout.decode().splitlines():
            if ": " in line and not line.startswith(" "):
                k, v = line.split(": ", 1)
                out[k] = v
        return out
