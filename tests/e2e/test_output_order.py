"""Output and effects in the recorded order, and replays that never print less than the recording.

Threads or processes writing lines to one stdout after a barrier: the replay must print exactly
the bytes the recording's stdout received, in that order. Each round records once and replays
once (a replay of one recording is deterministic; the order is decided when recording), with
stdout a regular file, a file opened O_APPEND that already holds a line, and a pipe. Before the
writes were ordered (recorder/WriteOrder), 15 to 20 rounds in 20 of each printed the lines in
another order, with no divergence reported.

Replays that stopped short: threads writing while main calls exit_group (their writes had
entered the kernel and completed, but had no event), writes that wait for a slow reader when the
process ends or is killed, files opened by name that are ckrr's own stdout (/dev/stdout). Each
must replay the full output, or report that it cannot.
"""
import os
import shutil
import signal
import subprocess
import time
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog

ROUNDS = 50
WARNING = b"was still in progress when its process ended"


class OutputOrderTest(CkrrTestCase):
    def record_to_file(self, trace, argv, out_path, append):
        """Records with stdout a regular file (appended to when `append`); returns what the
        recording wrote there."""
        prefix = b"a line from before the recording\n" if append else b""
        with open(out_path, "wb") as f:
            f.write(prefix)
        with open(out_path, "ab" if append else "wb") as f:
            r = subprocess.run([CKRR, "record", "-q", "-o", trace, "--", *argv], stdout=f,
                               stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        with open(out_path, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(prefix))
        return data[len(prefix):]

    def replay_output(self, trace, round_no):
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 0,
                         f"round {round_no}: replay failed: {r.stderr.decode(errors='replace')}")
        self.assertNotIn(WARNING, r.stderr)
        return r.stdout

    def assert_rounds_in_order(self, argv, stdout_kind):
        native = self.run_native(argv)
        self.assertEqual(native.returncode, 0)
        lines = sorted(native.stdout.splitlines())
        for i in range(ROUNDS):
            trace = self.path(f"t{i}")
            if stdout_kind == "pipe":
                rec = self.record(trace, argv)
                self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
                recorded = rec.stdout
            else:
                recorded = self.record_to_file(trace, argv, self.path("stdout"),
                                               stdout_kind == "append")
            self.assertEqual(sorted(recorded.splitlines()), lines,
                             f"round {i}: the recording printed other lines than a native run")
            self.assertEqual(self.replay_output(trace, i), recorded,
                             f"round {i}: the replay printed the lines in another order")
            shutil.rmtree(trace)

    def test_threads_to_a_regular_file(self):
        self.assert_rounds_in_order([prog("write_order"), "threads", "6", "3"], "file")

    def test_threads_to_an_append_file(self):
        self.assert_rounds_in_order([prog("write_order"), "threads", "6", "3"], "append")

    def test_threads_to_a_pipe(self):
        self.assert_rounds_in_order([prog("write_order"), "threads", "6", "3"], "pipe")

    def test_processes_to_a_regular_file(self):
        self.assert_rounds_in_order([prog("write_order"), "procs", "6", "3"], "file")

    def test_processes_to_an_append_file(self):
        self.assert_rounds_in_order([prog("write_order"), "procs", "6", "3"], "append")

    def test_processes_to_a_pipe(self):
        self.assert_rounds_in_order([prog("write_order"), "procs", "6", "3"], "pipe")

    def test_exit_group_while_threads_write(self):
        # Main exits right after the barrier: natively some of the threads' lines make it out.
        argv = [prog("exit_while_writing"), "4", "1000", "20", "0"]
        for i in range(20):
            trace = self.path(f"t{i}")
            recorded = self.record_to_file(trace, argv, self.path("stdout"), False)
            self.assertEqual(self.replay_output(trace, i), recorded,
                             f"round {i}: the replay printed {len(recorded)} bytes differently")
            shutil.rmtree(trace)

    def wait_in_pipe_write(self, pid):
        for _ in range(1000):
            with open(f"/proc/{pid}/wchan") as f:
                if "pipe" in f.read():
                    return
            time.sleep(0.01)
        self.fail(f"process {pid} never waited in a pipe write")

    def record_with_slow_reader(self, trace, argv, delay=0.3, kill_from_stderr=False):
        """Records with stdout a pipe nobody reads for `delay` s (writes to it wait); with
        kill_from_stderr, first SIGKILLs the pid the program prints on stderr once it waits in
        its write."""
        with subprocess.Popen([CKRR, "record", "-q", "-o", trace, "--", *argv],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
            try:
                if kill_from_stderr:
                    pid = int(p.stderr.readline())
                    self.wait_in_pipe_write(pid)
                    os.kill(pid, signal.SIGKILL)
                time.sleep(delay)
                out = p.stdout.read()
                err = p.stderr.read()
                p.wait(timeout=120)
            finally:
                if p.poll() is None:
                    p.kill()
        self.assertEqual(p.returncode, 0, err.decode(errors="replace"))
        return out

    def test_writes_that_wait_for_a_reader_keep_their_order(self):
        # 4 threads x 10 lines of 30000 bytes: far more than a pipe holds.
        argv = [prog("exit_while_writing"), "4", "10", "30000", "-1"]
        for i in range(5):
            trace = self.path(f"t{i}")
            out = self.record_with_slow_reader(trace, argv)
            self.assertEqual(len(out), 4 * 10 * 30000)
            self.assertEqual(self.replay_output(trace, i), out, f"round {i}")
            entered = [e for e in self.events(trace, "--kind", "enter") if "write" in e]
            self.assertTrue(entered, "no write waited: the test did not test waiting writes")
            shutil.rmtree(trace)

    def test_exit_group_while_writes_wait_for_a_reader(self):
        # Main exits while the threads' writes wait in the kernel: what they wrote so far is
        # recorded before the exit.
        argv = [prog("exit_while_writing"), "4", "10", "30000", "100000"]
        for i in range(5):
            trace = self.path(f"t{i}")
            out = self.record_with_slow_reader(trace, argv, delay=0.5)
            self.assertEqual(self.replay_output(trace, i), out, f"round {i}")
            shutil.rmtree(trace)

    def test_sigkill_of_a_waiting_writer_by_its_parent(self):
        trace = self.path("t")
        out = self.record_with_slow_reader(trace, [prog("kill_writer"), "parent", "200000"])
        self.assertTrue(out.endswith(b"\nchild ended by signal 9\n"), out[-60:])
        self.assertGreater(len(out), 30, "the child wrote nothing before it was killed")
        self.assertEqual(self.replay_output(trace, 0), out)

    def test_writer_killed_from_outside_is_reported(self):
        # Nobody in the recording sends the SIGKILL, so nothing records what the write did: the
        # replay prints less, and must say so.
        trace = self.path("t")
        out = self.record_with_slow_reader(trace, [prog("kill_writer"), "outside", "200000"],
                                           kill_from_stderr=True)
        self.assertTrue(out.endswith(b"\nchild ended by signal 9\n"), out[-60:])
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout, b"\nchild ended by signal 9\n")
        self.assertIn(WARNING, r.stderr)
        self.assertIn(b"write to stdout", r.stderr)

    def test_files_that_are_ckrrs_own_stdout_are_echoed(self):
        script = ("echo one; echo two > /dev/stdout; echo three >> /proc/self/fd/1; "
                  "echo four > /dev/fd/1; echo err1 >&2; echo err2 > /dev/stderr; "
                  "echo null > /dev/null; echo five")
        argv = ["/bin/sh", "-c", script]
        trace, rec = self.record_and_replay(argv)
        native = self.run_native(argv)
        self.assertEqual(rec.stdout, native.stdout)
        self.assertEqual(rec.stdout, b"one\ntwo\nthree\nfour\nfive\n")
        r = self.ckrr("replay", trace)
        self.assertIn(b"err1\nerr2\n", r.stderr)

    def test_a_parked_writer_that_reads_the_pipe_does_not_hang(self):
        # Y's write to the pipe X waits to write to is parked behind X's; Y is also the reader.
        # Nothing can run: after a second the recorder stops X's write (its 64 KiB so far are a
        # short write, its loop writes the rest) and Y goes on.
        trace, rec = self.record_and_replay([prog("pipe_writer_reader")])
        self.assertIn(b"X wrote 200000 bytes", rec.stdout)
        self.assertIn(b"Y read 200000 bytes", rec.stdout)
        self.assertIn("stopped", self.info(trace).get("ordered writes", ""))

    def test_splice_and_tee_to_stdout(self):
        # They move data without the app's memory, which replay could not show: refused for
        # ckrr's stdout, the program falls back to read/write, which replay echoes.
        trace, rec = self.record_and_replay([prog("splice_stdout")])
        self.assertEqual(rec.stdout, b"first\nmoved by splice\ncopied by tee\nlast\n")

    def test_a_child_that_writes_after_its_parent_exits(self):
        argv = ["/bin/sh", "-c", "(sleep 0.1; echo late) & echo early"]
        for i in range(3):
            trace = self.path(f"t{i}")
            recorded = self.record_to_file(trace, argv, self.path("stdout"), False)
            self.assertEqual(recorded, b"early\nlate\n")
            self.assertEqual(self.replay_output(trace, i), recorded)
            shutil.rmtree(trace)


if __name__ == "__main__":
    unittest.main()
