"""Checkpoints: the state at an event is the same however the event is reached (from the start
or from any checkpoint before it), on our programs and on python3 and sqlite3."""
import os
import signal
import subprocess
import time
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog


class Checkpoints(CkrrTestCase):
    def state(self, trace, n, *how):
        text = super().state(trace, n, *how)
        self.assertIn(f"event: {n}\n", text)
        return text

    def check_all_paths(self, argv, interval="5ms", min_checkpoints=2, **kw):
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", interval, "-o", trace, "--",
                        *argv, **kw)
        self.assertNotEqual(rec.returncode, 125, rec.stderr)
        cps = self.checkpoints(trace)
        self.assertGreaterEqual(len(cps), min_checkpoints, "expected several checkpoints")
        total = int(self.info(trace)["events"])
        for cp_id, seq in cps[:4]:
            for n in sorted({seq, min(seq + 3, total - 1), total - 1}):
                if n < seq:
                    continue
                start = self.state(trace, n, "--from-start")
                here = self.state(trace, n, "--from-checkpoint", str(cp_id))
                self.assertEqual(start, here, f"event {n} from start vs checkpoint {cp_id}")
        # The default picks a checkpoint and still replays the whole output.
        self.assert_replays(trace, rec, times=1)
        return trace, cps

    def test_long_runner(self):
        self.check_all_paths([prog("long_runner"), "40"])

    def test_avx_registers_in_flight(self):
        self.check_all_paths([prog("avx_state")], interval="1ms")

    def test_mapped_file_and_heap(self):
        data = self.path("data.txt")
        with open(data, "w") as f:
            f.write("mapped\n" * 5000)
        self.check_all_paths([prog("files"), data, self.tmp], interval="1ms")

    def test_signal_handlers(self):
        self.check_all_paths([prog("signals")], interval="1ms")

    def test_python3(self):
        self.check_all_paths(["/usr/bin/python3", "-c",
                              "import json,hashlib; print(hashlib.sha256(json.dumps(list(range(20000))).encode()).hexdigest())"],
                             interval="5ms")

    def test_sqlite3(self):
        sql = ("create table t(x); with recursive c(i) as (select 1 union all select i+1 from c "
               "where i<20000) insert into t select random() from c; select count(*), sum(x>0) from t;")
        self.check_all_paths(["sqlite3", ":memory:", sql], interval="1ms")

    def test_corrupt_checkpoint_falls_back(self):
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "5ms", "-o", trace, "--",
                        prog("long_runner"), "30")
        self.assertEqual(rec.returncode, 0, rec.stderr)
        cps = self.checkpoints(trace)
        self.assertGreaterEqual(len(cps), 2)
        last_id, last_seq = cps[-1]
        with open(os.path.join(trace, "checkpoints", str(last_id), "manifest"), "r+b") as f:
            f.seek(40)
            f.write(b"\xff\xff\xff\xff")
        n = last_seq + 2
        r = self.ckrr("replay", trace, "--to", str(n), "--print-state",
                      "--state-out", self.path("fallback.txt"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"checkpoint {last_id} is unusable".encode(), r.stderr)
        self.assertIn(b"manifest", r.stderr)  # names the bad file
        with open(self.path("fallback.txt")) as f:
            self.assertEqual(f.read(), self.state(trace, n, "--from-start"))

    def test_checkpoint_inside_blocking_syscall(self):
        trace = self.path("t")
        p = subprocess.Popen([CKRR, "record", "-q", "--checkpoint-interval", "0", "-o", trace,
                              "--", "sha256sum"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            time.sleep(0.7)  # sha256sum is now blocked reading its empty stdin
            r = self.ckrr("checkpoint", trace)
            self.assertEqual(r.returncode, 0, r.stderr)
            deadline = time.time() + 10
            while not self.checkpoints(trace) and time.time() < deadline:
                time.sleep(0.1)
            self.assertEqual(len(self.checkpoints(trace)), 1,
                             "the checkpoint is taken while the read still blocks")
            out, err = p.communicate(b"data that arrives after the checkpoint\n" * 100,
                                     timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
        self.assertEqual(p.returncode, 0, err)
        (cp_id, seq), = self.checkpoints(trace)
        total = int(self.info(trace)["events"])
        for n in (seq + 1, seq + 2, total - 1):
            self.assertEqual(self.state(trace, n, "--from-start"),
                             self.state(trace, n, "--from-checkpoint", str(cp_id)))
        r = self.ckrr("replay", trace)
        self.assertEqual(r.stdout, out)
        # At event seq itself the checkpoint is past the point: an earlier start is used.
        self.state(trace, seq)

    def test_bad_interval_refused(self):
        r = self.ckrr("record", "--checkpoint-interval", "soon", "-o", self.path("t"), "--",
                      prog("branch"), "a")
        self.assertEqual(r.returncode, 125)
        self.assertIn(b"not a duration", r.stderr)
        self.assertFalse(os.path.exists(self.path("t")))

    def test_checkpoint_on_request(self):
        trace = self.path("t")
        p = subprocess.Popen([CKRR, "record", "-q", "--checkpoint-interval", "0", "-o", trace,
                              "--", prog("long_runner"), "200"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            time.sleep(0.7)
            r = self.ckrr("checkpoint", trace)
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(len(self.checkpoints(trace)), 1)
        r = self.ckrr("checkpoint", trace)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"finished", r.stderr)


if __name__ == "__main__":
    unittest.main()
