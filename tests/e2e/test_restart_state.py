"""ckrr restart of programs that run until killed, each checking one piece of process state at
every step (tests/programs/restart_state.c): POSIX timers, rlimits, pending signals, a deleted
open file, waits in poll/select/pselect/ppoll, and fork+exec loops. Each is recorded with
checkpoints, the recorder SIGKILLed after its 3rd checkpoint, restarted, and must go on with
consecutive steps and no error; the same program is also recorded to the end and replayed."""
import re
import signal
import subprocess
import time
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog

N = 400


class RestartState(CkrrTestCase):
    def checkpoints(self, trace):
        r = self.ckrr("checkpoints", trace)
        if r.returncode != 0:
            return []
        return [tuple(int(x) for x in line.split()[:2])
                for line in r.stdout.decode().splitlines()[1:]]

    def record_until_killed(self, trace, argv, wanted=3):
        p = subprocess.Popen([CKRR, "record", "-q", "--checkpoint-interval", "100ms", "-o", trace,
                              "--", *argv],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while len(self.checkpoints(trace)) < wanted:
                self.assertIsNone(p.poll(), "the program finished before its checkpoints: "
                                  + str(self.checkpoints(trace)))
                self.assertLess(time.monotonic(), deadline, "no checkpoints in 60 s")
                time.sleep(0.02)
            p.send_signal(signal.SIGKILL)
        finally:
            out, err = p.communicate(timeout=60)
        lines = out.decode().splitlines()
        self.assertNotIn("ERROR", out.decode(), err)
        self.assertNotEqual(lines[-1:], [f"done {N}"], "the recording was not cut short")
        return lines

    def restart_and_check(self, mode):
        trace = self.path("t")
        before = self.record_until_killed(trace, [prog("restart_state"), mode, str(N)])
        r = self.ckrr("restart", trace)
        err = r.stderr.decode(errors="replace")
        out = r.stdout.decode()
        self.assertNotIn("ERROR", out, err)
        self.assertEqual(r.returncode, 0, out[-500:] + err)
        lines = out.splitlines()
        self.assertEqual(lines[-1], f"done {N}")
        m = re.fullmatch(r"step (\d+)", lines[0])
        self.assertIsNotNone(m, lines[0])
        first = int(m.group(1))
        self.assertGreater(first, 1, "restarted from the beginning")
        self.assertLessEqual(first, len(before) + 1)
        self.assertEqual(lines[:-1], [f"step {i}" for i in range(first, N + 1)])
        return err

    def record_replay(self, mode, n=60):
        trace = self.path("rr")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "100ms", "-o", trace, "--",
                        prog("restart_state"), mode, str(n))
        self.assertEqual(rec.returncode, 0, rec.stderr)
        self.assertTrue(rec.stdout.endswith(f"done {n}\n".encode()), rec.stdout[-200:])
        rep = self.ckrr("replay", trace)
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertEqual(rep.stdout, rec.stdout)
        for cp_id, _ in self.checkpoints(trace):
            rep = self.ckrr("replay", trace, "--from-checkpoint", str(cp_id))
            self.assertEqual(rep.returncode, 0, rep.stderr)
            self.assertTrue(rec.stdout.endswith(rep.stdout), rep.stdout[-200:])


def _add(mode):
    setattr(RestartState, f"test_restart_{mode}", lambda self: self.restart_and_check(mode))
    setattr(RestartState, f"test_record_replay_{mode}", lambda self: self.record_replay(mode))


for _mode in ("timer", "rlimit", "sigpend", "deleted", "poll", "select", "pselect", "ppoll",
              "forkexec"):
    _add(_mode)

if __name__ == "__main__":
    unittest.main()
