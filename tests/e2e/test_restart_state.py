"""ckrr restart of programs that run until killed, each checking one piece of process state at
every step (tests/programs/restart_state.c): POSIX timers, rlimits, pending signals, a deleted
open file, waits in poll/select/pselect/ppoll, and fork+exec loops. Each is recorded with
checkpoints, the recorder SIGKILLed after its 3rd checkpoint, restarted, and must go on with
consecutive steps and no error; the same program is also recorded to the end and replayed, from
the start and from every checkpoint."""
import os
import re
import signal
import subprocess
import time
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog

N = 400
WAITS = ("poll", "ppoll", "select", "pselect", "epoll")


class RestartState(CkrrTestCase):
    def record_until_killed(self, trace, argv, wanted=3):
        p = subprocess.Popen([CKRR, "record", "-q", "--checkpoint-interval", "100ms", "-o", trace,
                              "--", *argv],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while len(self.checkpoints(trace, recording=True)) < wanted:
                self.assertIsNone(p.poll(), "the program finished before its checkpoints: "
                                  + str(self.checkpoints(trace, recording=True)))
                self.assertLess(time.monotonic(), deadline, "no checkpoints in 60 s")
                time.sleep(0.02)
            p.send_signal(signal.SIGKILL)
        finally:
            out, err = p.communicate(timeout=60)
        lines = out.decode().splitlines()
        self.assertNotIn("ERROR", out.decode(), err)
        self.assertFalse(lines[-1:] and lines[-1].startswith("done"), "not cut short")
        return lines

    def restart_and_check(self, mode, n=N):
        trace = self.path("t")
        # Waiting modes: 6 checkpoints leave a margin on a loaded machine (see below).
        before = self.record_until_killed(trace, [prog("restart_state"), mode, str(n)],
                                          6 if mode in WAITS else 3)
        if mode in WAITS and not os.environ.get("CKRR_SANITIZED"):
            # (Skipped under ASan, where a checkpoint may take longer than a step's wait.)
            # Waiting 700 ms per step in a call without a timeout: checkpoints come at the
            # 100 ms interval only if they interrupt the wait (at most one per step otherwise).
            self.assertGreater(len(self.checkpoints(trace, recording=True)), len(before) + 1,
                               "no checkpoint taken while the program waited")
        r = self.ckrr("restart", trace)
        err = r.stderr.decode(errors="replace")
        out = r.stdout.decode()
        self.assertNotIn("ERROR", out, err)
        self.assertEqual(r.returncode, 0, out[-500:] + err)
        lines = out.splitlines()
        self.assertEqual(lines[-1], f"done {n}")
        m = re.fullmatch(r"step (\d+)", lines[0])
        self.assertIsNotNone(m, lines[0])
        first = int(m.group(1))
        self.assertGreater(first, 1 if mode not in WAITS else 0)
        self.assertLessEqual(first, len(before) + 1)
        self.assertEqual(lines[:-1], [f"step {i}" for i in range(first, n + 1)])
        return err

    def restart_recorded(self, mode, n):
        """`ckrr restart --record`: the resumed run is recorded (its trace starts with a
        checkpoint of the restored state, taken while the re-created timers fire) and replays,
        from the start and from every checkpoint, to the output it printed."""
        trace, trace2 = self.path("t"), self.path("t2")
        self.record_until_killed(trace, [prog("restart_state"), mode, str(n)])
        r = self.ckrr("restart", trace, "--record", "-o", trace2, "--checkpoint-interval",
                      "100ms")
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)
        self.assertNotIn(b"ERROR", r.stdout, err)
        self.assertNotIn("failed", err)
        self.assertTrue(r.stdout.endswith(f"done {n}\n".encode()), r.stdout[-200:])
        rep = self.ckrr("replay", trace2)
        self.assertEqual((rep.returncode, rep.stdout), (0, r.stdout), rep.stderr)
        for cp_id, _ in self.checkpoints(trace2, recording=True):
            rep = self.ckrr("replay", trace2, "--from-checkpoint", str(cp_id))
            self.assertEqual(rep.returncode, 0, rep.stderr)
            self.assertTrue(r.stdout.endswith(rep.stdout), rep.stdout[-200:])

    def test_restart_recorded_timer(self):
        self.restart_recorded("timer", 250)

    def test_restart_recorded_deleted(self):
        self.restart_recorded("deleted", 250)

    def test_restart_recorded_epoll(self):
        self.restart_recorded("epoll", 5)

    def record_replay(self, mode, n=60):
        trace = self.path("rr")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "100ms", "-o", trace, "--",
                        prog("restart_state"), mode, str(n))
        self.assertEqual(rec.returncode, 0, rec.stderr)
        self.assertTrue(rec.stdout.endswith(f"done {n}\n".encode()), rec.stdout[-200:])
        rep = self.ckrr("replay", trace)
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertEqual(rep.stdout, rec.stdout)
        for cp_id, _ in self.checkpoints(trace, recording=True):
            rep = self.ckrr("replay", trace, "--from-checkpoint", str(cp_id))
            self.assertEqual(rep.returncode, 0, rep.stderr)
            self.assertTrue(rec.stdout.endswith(rep.stdout), rep.stdout[-200:])


def _add(mode):
    n = 10 if mode in WAITS else N

    def restart(self):
        self.restart_and_check(mode, n)

    setattr(RestartState, f"test_restart_{mode}", restart)
    setattr(RestartState, f"test_record_replay_{mode}",
            lambda self: self.record_replay(mode, 3 if mode in WAITS else 60))


for _mode in ("timer", "rlimit", "sigpend", "deleted", "forkexec") + WAITS:
    _add(_mode)

if __name__ == "__main__":
    unittest.main()
