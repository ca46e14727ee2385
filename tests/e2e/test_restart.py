"""ckrr restart: a recording cut short (recorder SIGKILLed) resumes live from a checkpoint and
finishes its work, with its files reopened where they were and the pid it was recorded with."""
import os
import re
import signal
import subprocess
import time
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog

N = 150


class Restart(CkrrTestCase):
    def read_lines(self, path):
        with open(path) as f:
            return f.read().splitlines()

    def assert_counted_once(self, out_file, n, pid):
        lines = self.read_lines(out_file)
        self.assertEqual(lines, [f"{i} pid={pid}" for i in range(1, n + 1)])

    def assert_continues(self, stdout, n):
        """The restarted program's stdout: consecutive counts from where the checkpoint was, up
        to n, then done. Returns the first count it printed."""
        lines = stdout.decode().splitlines()
        self.assertGreater(len(lines), 1, stdout)
        self.assertEqual(lines[-1], f"done {n}")
        m = re.fullmatch(r"count (\d+)", lines[0])
        self.assertIsNotNone(m, lines[0])
        first = int(m.group(1))
        self.assertGreater(first, 1, "restarted from the beginning, not from a checkpoint")
        self.assertEqual(lines[:-1], [f"count {i}" for i in range(first, n + 1)])
        return first

    def record_complete(self, n=60, interval="100ms"):
        trace, out = self.path("t"), self.path("count.txt")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", interval, "-o", trace, "--",
                        prog("counter"), out, str(n))
        self.assertEqual(rec.returncode, 0, rec.stderr)
        pid = int(self.read_lines(out)[0].split("pid=")[1])
        return trace, out, pid

    def record_until_killed(self, trace, argv):
        """Records argv and SIGKILLs the recorder after its 3rd checkpoint. Returns what the
        program printed until then."""
        p = subprocess.Popen([CKRR, "record", "-q", "--checkpoint-interval", "100ms", "-o", trace,
                              "--", *argv],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while len(self.checkpoints(trace, recording=True)) < 3:
                self.assertIsNone(p.poll(), "the program finished before its 3rd checkpoint")
                self.assertLess(time.monotonic(), deadline, "no 3 checkpoints in 60 s")
                time.sleep(0.02)
            p.send_signal(signal.SIGKILL)  # the app dies with it (PTRACE_O_EXITKILL)
        finally:
            rec_out, _ = p.communicate(timeout=60)
        return rec_out

    def record_and_kill(self, n):
        """Records the counter to n and SIGKILLs the recorder after its 3rd checkpoint. Returns
        (trace, count file, the last count printed before the crash)."""
        trace, out = self.path("t"), self.path("count.txt")
        rec_out = self.record_until_killed(trace, [prog("counter"), out, str(n)])
        rec_lines = rec_out.decode().splitlines()
        self.assertTrue(rec_lines, "the program printed nothing before the crash")
        self.assertNotEqual(rec_lines[-1], f"done {n}", "the recording was not cut short")
        return trace, out, int(rec_lines[-1].split()[1])

    def test_restart_after_recorder_killed(self):
        trace, out, crashed_at = self.record_and_kill(N)
        recorded_pid = int(self.read_lines(out)[0].split("pid=")[1])
        self.assertEqual(len(self.read_lines(out)), crashed_at)

        r = self.ckrr("restart", trace)
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)
        m = re.search(r"resuming from checkpoint (\d+) \(after event (\d+)\) as pid (\d+); "
                      r"the program keeps pid (\d+)", err)
        self.assertIsNotNone(m, err)
        cps = self.checkpoints(trace, recording=True)
        self.assertEqual(int(m.group(1)), cps[-1][0], "not the latest checkpoint")
        self.assertEqual(int(m.group(2)), cps[-1][1])
        self.assertEqual(int(m.group(4)), recorded_pid)
        self.assertNotEqual(int(m.group(3)), recorded_pid, "the real pid did not change")
        first = self.assert_continues(r.stdout, N)
        self.assertLessEqual(first, crashed_at + 1)
        self.assert_counted_once(out, N, recorded_pid)

    def test_restart_of_threads(self):
        """A checkpoint of four threads (three counting, one waiting in read): all restart, each
        answering gettid with its recorded tid and reachable by pthread_kill, and the count
        ends with every line written once; the same with the resumed run recorded."""
        n = 60
        trace, out = self.path("t"), self.path("count.txt")
        self.record_until_killed(trace, [prog("counter_mt"), out, str(n)])
        before = self.read_lines(out)
        self.assertLess(len(before), 3 * n, "the recording was not cut short")
        recorded_pid = int(before[0].split("pid=")[1])
        last = self.checkpoints(trace, recording=True)[-1][0]
        with open(os.path.join(trace, "checkpoints", str(last), "manifest"), "rb") as f:
            self.assertIn(b"threads", f.read(), "the checkpoint holds one thread only")
        r = self.ckrr("restart", trace)
        err = r.stderr.decode(errors="replace")
        self.assertEqual((r.returncode, r.stdout), (0, f"done {n}\n".encode()), err)
        self.assertIn(f"the program keeps pid {recorded_pid}", err)
        lines = self.read_lines(out)
        expected = [f"w{k} {i} pid={recorded_pid}" for k in range(3) for i in range(1, n + 1)]
        self.assertEqual(sorted(lines), sorted(expected))

        # Again, recording the resumed run: its trace starts with a checkpoint of all the
        # restored threads and replays to the same output (the count file is cut back to the
        # checkpoint and finished again).
        trace2 = self.path("t2")
        r = self.ckrr("restart", trace, "--record", "-o", trace2, "--checkpoint-interval",
                      "100ms")
        err = r.stderr.decode(errors="replace")
        self.assertEqual((r.returncode, r.stdout), (0, f"done {n}\n".encode()), err)
        self.assertEqual(sorted(self.read_lines(out)), sorted(expected))
        cps = self.checkpoints(trace2, recording=True)
        self.assertEqual(cps[0][1], 0, "the new trace starts with a checkpoint at event 0")
        with open(os.path.join(trace2, "checkpoints", str(cps[0][0]), "manifest"), "rb") as f:
            self.assertIn(b"threads", f.read())
        self.assertGreaterEqual(int(self.info(trace2)["threads"]), 4)
        for cp_id, _ in cps:
            rep = self.ckrr("replay", trace2, "--from-checkpoint", str(cp_id))
            self.assertEqual(rep.returncode, 0, rep.stderr)
            self.assertTrue(r.stdout.endswith(rep.stdout), rep.stdout)

    def test_ctrl_c_reaches_the_program(self):
        # ckrr restart leaves the program in its own process group: a terminal's ^C (SIGINT to
        # the group) ends the program, and ckrr reports its status.
        trace, _, _ = self.record_and_kill(2000)
        p = subprocess.Popen([CKRR, "restart", trace], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        try:
            self.assertTrue(p.stdout.readline().startswith(b"count "))
            os.killpg(p.pid, signal.SIGINT)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
        self.assertEqual(p.returncode, 128 + signal.SIGINT, err)
        self.assertNotIn(b"done", out)

    def test_explicit_checkpoint(self):
        trace, out, pid = self.record_complete()
        cps = self.checkpoints(trace, recording=True)
        self.assertGreaterEqual(len(cps), 2)
        r = self.ckrr("restart", trace, "--checkpoint", str(cps[0][0]))
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)
        self.assertIn(f"resuming from checkpoint {cps[0][0]} (after event {cps[0][1]})", err)
        self.assertIn("truncated", err)  # the finished run's later lines were cut off
        self.assert_continues(r.stdout, 60)
        self.assert_counted_once(out, 60, pid)

        r = self.ckrr("restart", trace, "--checkpoint", "999")
        self.assertEqual(r.returncode, 125)
        self.assertIn(b"no checkpoint 999", r.stderr)

    def test_corrupt_last_checkpoint_falls_back(self):
        trace, out, pid = self.record_complete()
        cps = self.checkpoints(trace, recording=True)
        self.assertGreaterEqual(len(cps), 2)
        last_id, prev_id = cps[-1][0], cps[-2][0]
        with open(os.path.join(trace, "checkpoints", str(last_id), "manifest"), "r+b") as f:
            f.seek(40)
            f.write(b"\xff\xff\xff\xff")
        r = self.ckrr("restart", trace)
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)
        self.assertIn(f"checkpoint {last_id} is unusable", err)
        self.assertIn("manifest", err)  # names the bad file
        self.assertIn(f"resuming from checkpoint {prev_id} ", err)
        self.assert_continues(r.stdout, 60)
        self.assert_counted_once(out, 60, pid)

        # Asked for explicitly, a corrupt checkpoint is an error, not a silent substitute.
        r = self.ckrr("restart", trace, "--checkpoint", str(last_id))
        self.assertEqual(r.returncode, 125)
        self.assertIn(f"checkpoint {last_id} is unusable".encode(), r.stderr)

    def test_refused_while_the_recorder_runs(self):
        trace, out = self.path("t"), self.path("count.txt")
        p = subprocess.Popen([CKRR, "record", "-q", "--checkpoint-interval", "50ms", "-o", trace,
                              "--", prog("counter"), out, "2000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not self.checkpoints(trace, recording=True):
                self.assertLess(time.monotonic(), deadline, "no checkpoint in 60 s")
                time.sleep(0.02)
            r = self.ckrr("restart", trace)
            self.assertEqual(r.returncode, 125)
            self.assertIn(b"is still running", r.stderr)
        finally:
            p.kill()
            p.wait(timeout=60)

    def test_trace_without_checkpoints(self):
        trace, _, _ = self.record_complete(n=5, interval="0")
        r = self.ckrr("restart", trace)
        self.assertEqual(r.returncode, 125)
        self.assertIn(b"has no checkpoint to restart from", r.stderr)

    def test_exit_status_and_pipes(self):
        # The program's own status comes back; a pipe that is not ckrr's stdio is re-created
        # with the bytes that were in it (TreeRestart.h): the program reads them back after the
        # restart and exits 7 only if they are there.
        trace = self.path("t")
        script = ("import os,time\n"
                  "r,w=os.pipe()\n"
                  "os.write(w, b'in flight')\n"
                  "for i in range(40):\n"
                  "    time.sleep(0.01)\n"
                  "os._exit(7 if os.read(r, 100) == b'in flight' else 3)\n")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "50ms", "-o", trace, "--",
                        "/usr/bin/python3", "-c", script)
        self.assertEqual(rec.returncode, 7, rec.stderr)
        # The one before the last: the last may fall between the final read and the exit.
        cps = self.checkpoints(trace, recording=True)
        self.assertGreater(len(cps), 2)
        r = self.ckrr("restart", trace, "--checkpoint", str(cps[-2][0]))
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 7, err)
        self.assertIn("1 process restored with 1 pipe between them (9 bytes in flight put back)",
                      err)

    def test_help(self):
        r = self.ckrr("restart", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"usage: ckrr restart TRACE", r.stdout)
        self.assertIn(b"--record -o TRACE2", r.stdout)
        r = self.ckrr("restart", self.path("nothing"), "--record")
        self.assertEqual(r.returncode, 125)
        self.assertIn(b"needs -o", r.stderr)

    def test_restart_recorded_again(self):
        # The resumed run is itself recorded; its trace starts from the restored state and
        # replays to the same output, with the recorded pid.
        trace, out, crashed_at = self.record_and_kill(N)
        recorded_pid = int(self.read_lines(out)[0].split("pid=")[1])
        trace2 = self.path("t2")
        r = self.ckrr("restart", trace, "--record", "-o", trace2, "--checkpoint-interval",
                      "100ms")
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)
        self.assert_continues(r.stdout, N)
        self.assert_counted_once(out, N, recorded_pid)
        info = self.info(trace2)
        self.assertEqual(info["complete"], "yes")
        self.assertGreater(int(info["events"]), 10)
        cps = self.checkpoints(trace2, recording=True)
        self.assertEqual(cps[0][1], 0, "the new trace starts with a checkpoint at event 0")
        self.assertGreaterEqual(len(cps), 2)
        rep = self.ckrr("replay", trace2)
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertEqual(rep.stdout, r.stdout)
        # The same state at an event, reached from either checkpoint.
        n = int(info["events"]) - 2
        states = []
        for cp_id, _ in cps[:2]:
            s = self.ckrr("replay", trace2, "--to", str(n), "--print-state",
                          "--from-checkpoint", str(cp_id))
            self.assertEqual(s.returncode, 0, s.stderr)
            states.append(s.stdout.split(b"event: ")[1])
        self.assertEqual(states[0], states[1])
        r = self.ckrr("replay", trace2, "--from-start")
        self.assertEqual(r.returncode, 125)
        self.assertIn(b"starts from a checkpoint", r.stderr)


if __name__ == "__main__":
    unittest.main()
