"""Damaged traces (issue 12): random bit flips, truncations and zeroed ranges in every file of a
small trace with many checkpoints. Each replay to an event with --print-state either prints
exactly the state of the undamaged trace or fails with a message: no crash, no hang, and never a
different state with exit status 0. CKRR_MUTATIONS sets the number of runs (default 300)."""
import os
import random
import subprocess
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog


class Mutations(CkrrTestCase):
    def replay_state(self, trace, n, out):
        if os.path.exists(out):
            os.unlink(out)
        try:
            r = subprocess.run([CKRR, "replay", trace, "--to", str(n), "--print-state",
                                "--state-out", out], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=30)
        except subprocess.TimeoutExpired:
            return None, b"", None
        state = None
        if os.path.exists(out):
            with open(out) as f:
                state = f.read()
        return r.returncode, r.stderr, state

    def test_damaged_traces_are_reported_never_replayed_differently(self):
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "5ms", "-o", trace, "--",
                        prog("long_runner"), "20")
        self.assertEqual(rec.returncode, 0, rec.stderr)
        total = int(self.info(trace)["events"])
        r = self.ckrr("checkpoints", trace)
        seqs = [int(line.split()[1]) for line in r.stdout.decode().splitlines()[1:]]
        self.assertGreaterEqual(len(seqs), 3)
        # Targets: right after some checkpoints, and the last event; their undamaged states.
        targets = sorted({min(s + 1, total - 1) for s in seqs[:: max(1, len(seqs) // 6)]} |
                         {total - 1})
        expected = {}
        for n in targets:
            rc, err, state = self.replay_state(trace, n, self.path("s.txt"))
            self.assertEqual(rc, 0, err)
            expected[n] = state
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(trace) for f in fs)
        self.assertGreater(len(files), 10)
        rng = random.Random(12)
        runs = int(os.environ.get("CKRR_MUTATIONS", "300"))
        problems, detected, same = [], 0, 0
        for i in range(runs):
            victim = files[i % len(files)]
            with open(victim, "rb") as f:
                original = f.read()
            data = bytearray(original)
            kind = rng.choice(["flip", "truncate", "zero"])
            if not data or kind == "truncate":
                kind = "truncate"
                data = data[:rng.randrange(len(data))] if data else data
            elif kind == "flip":
                for _ in range(rng.randint(1, 4)):
                    pos = rng.randrange(len(data))
                    data[pos] ^= 1 << rng.randrange(8)
            else:
                start = rng.randrange(len(data))
                end = min(len(data), start + rng.randint(1, 8192))
                data[start:end] = bytes(end - start)
            what = "%s %s" % (kind, os.path.relpath(victim, trace))
            n = rng.choice(targets)
            try:
                with open(victim, "wb") as f:
                    f.write(data)
                rc, err, state = self.replay_state(trace, n, self.path("s.txt"))
            finally:
                with open(victim, "wb") as f:
                    f.write(original)
            if rc is None:
                problems.append(what + ": replay hung")
            elif rc < 0 or rc >= 128:
                problems.append(what + ": replay crashed (%d): %s" % (rc, err[-300:]))
            elif rc == 0 and state != expected[n]:
                problems.append(what + ": different state at event %d, exit status 0" % n)
            elif rc == 0 and (b"unusable" in err or b"could not be restored" in err):
                detected += 1  # reported, and an earlier checkpoint gave the same state
            elif rc == 0:
                same += 1
            else:
                detected += 1
                self.assertTrue(err.strip(), what + ": failed without a message")
        self.assertEqual(problems, [], "%d of %d damaged replays went wrong" % (len(problems), runs))
        # Much of the damage lands in bytes that matter, and is reported.
        self.assertGreater(detected, runs // 10, "only %d reported, %d same" % (detected, same))


if __name__ == "__main__":
    unittest.main()
