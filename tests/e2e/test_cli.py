"""The ckrr command line as a user meets it: help, bad input, broken traces, permissions."""
import os
import signal
import stat
import subprocess
import time
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog


class Cli(CkrrTestCase):
    def test_help_everywhere(self):
        r = self.ckrr("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"usage: ckrr", r.stdout)
        for cmd in ("record", "replay", "info", "events"):
            r = self.ckrr(cmd, "--help")
            self.assertEqual(r.returncode, 0, cmd)
            self.assertIn(f"usage: ckrr {cmd}".encode(), r.stdout)

    def test_unknown_command_and_option(self):
        self.assertEqual(self.ckrr("frobnicate").returncode, 2)
        r = self.ckrr("events", self.tmp, "--bogus")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"unknown option --bogus", r.stderr)

    def test_missing_program(self):
        trace = self.path("t")
        r = self.ckrr("record", "-o", trace, "--", "/no/such/program")
        self.assertEqual(r.returncode, 127)
        self.assertIn(b"/no/such/program", r.stderr)
        self.assertFalse(os.path.exists(trace), "no trace for a program that never ran")
        r = self.ckrr("record", "-o", trace, "no-such-program-anywhere")
        self.assertEqual(r.returncode, 127)

    def test_record_without_double_dash_and_default_dir(self):
        r = subprocess.run([CKRR, "record", prog("branch"), "a"], cwd=self.tmp,
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"1\n")
        made = os.listdir(self.path("ckrr-traces"))
        self.assertEqual(made, ["branch-1"])
        self.assertIn(b"ckrr-traces/branch-1", r.stderr)

    def test_existing_trace_needs_force(self):
        trace = self.path("t")
        self.assertEqual(self.record(trace, [prog("branch"), "a"]).returncode, 0)
        r = self.record(trace, [prog("branch"), "a"])
        self.assertEqual(r.returncode, 125)
        self.assertIn(b"already exists", r.stderr)
        r = self.ckrr("record", "-q", "--force", "-o", trace, "--", prog("branch"), "a")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_trace_is_private(self):
        trace = self.path("t")
        self.assertEqual(self.record(trace, [prog("time_random")]).returncode, 0)
        self.assertEqual(stat.S_IMODE(os.stat(trace).st_mode), 0o700)
        for f in ("events.log", "timeline.db", "launch", "VERSION"):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(trace, f)).st_mode) & 0o077, 0, f)

    def test_info_and_events_agree(self):
        trace = self.path("t")
        self.assertEqual(self.record(trace, [prog("time_random")]).returncode, 0)
        info = self.info(trace)
        lines = self.events(trace)
        self.assertEqual(int(info["events"]), len(lines))
        self.assertEqual([int(l.split()[0]) for l in lines], list(range(1, len(lines) + 1)))
        self.assertEqual(info["complete"], "yes")
        self.assertEqual(info["threads"], "1")
        self.assertEqual(len(self.events(trace, "--kind", "exec")), 1)
        self.assertEqual(len(self.events(trace, "--from", "3", "--to", "5")), 3)
        self.assertTrue(all(" getrandom(" in l for l in self.events(trace, "--name", "getrandom")))

    def test_replay_to_event_prints_state_deterministically(self):
        trace = self.path("t")
        self.assertEqual(self.record(trace, [prog("avx_state")]).returncode, 0)
        n = int(self.info(trace)["events"]) // 2
        a = self.ckrr("replay", trace, "--to", str(n), "--print-state")
        b = self.ckrr("replay", trace, "--to", str(n), "--print-state")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        text = a.stdout.decode()
        self.assertIn(f"event: {n}\n", text)
        for key in ("rip: ", "reg fs_base ", "memory: ", "fds: "):
            self.assertIn(key, text)
        r = self.ckrr("replay", trace, "--to", "999999")
        self.assertEqual(r.returncode, 125)
        self.assertIn(b"past the end", r.stderr)

    def test_unknown_ioctl_recorded_and_named(self):
        # An ioctl ckrr has no description of runs as natively (ENOTTY on a pipe here); it is
        # recorded, replayed and named in `ckrr info`, never stopping the recording.
        trace = self.path("t")
        r = self.record(trace, [prog("bad_ioctl")], stdin=subprocess.PIPE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"before\nafter\n")
        self.assert_replays(trace, r)
        info = self.info(trace)
        self.assertEqual(info["complete"], "yes")
        self.assertIn("ioctl 0x4321beef", info["recorded conservatively"])

    def test_divergence_reported(self):
        trace = self.path("t")
        self.assertEqual(self.record(trace, [prog("branch"), "a"]).returncode, 0)
        launch = os.path.join(trace, "launch")
        data = open(launch, "rb").read()
        self.assertIn(b"\0a\0", data)
        with open(launch, "wb") as f:  # the program now takes the other branch
            f.write(data.replace(b"\0a\0", b"\0b\0", 1))
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 125)
        err = r.stderr.decode()
        self.assertRegex(err, r"diverged at event \d+")
        self.assertIn("expected: getpid(", err)
        self.assertIn("actual:   getppid(", err)

    def test_corrupt_log_named_with_offset(self):
        trace = self.path("t")
        self.assertEqual(self.record(trace, [prog("long_runner"), "300"]).returncode, 0)
        log = os.path.join(trace, "events.log")
        size = os.path.getsize(log)
        with open(log, "r+b") as f:
            f.seek(size // 2)
            b = f.read(1)
            f.seek(size // 2)
            f.write(bytes([b[0] ^ 0xFF]))
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 125)
        self.assertRegex(r.stderr.decode(), r"events\.log: corrupt chunk at offset \d+")
        self.assertGreater(len(self.events(trace)), 0, "the index still lists")

    def test_recorder_killed_leaves_readable_prefix(self):
        trace = self.path("t")
        p = subprocess.Popen([CKRR, "record", "-q", "-o", trace, "--", prog("long_runner"), "1000"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(2.0)
        p.send_signal(signal.SIGKILL)
        out, _ = p.communicate(timeout=30)
        info = self.info(trace)
        self.assertEqual(info["complete"], "no")
        lines = self.events(trace)
        self.assertGreater(len(lines), 10)
        self.assertEqual([int(l.split()[0]) for l in lines], list(range(1, len(lines) + 1)))
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 125)
        self.assertIn(b"truncated", r.stderr)
        self.assertTrue(out.startswith(r.stdout[:len(out)]) or r.stdout.startswith(b"tick 0"))

    def test_disk_full(self):
        mnt = self.path("small")
        os.mkdir(mnt)
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt],
                           capture_output=True)
        if m.returncode != 0:
            self.skipTest("cannot mount a small tmpfs here: " + m.stderr.decode())
        try:
            trace = os.path.join(mnt, "t")
            r = self.record(trace, [prog("long_runner"), "50"])
            self.assertEqual(r.returncode, 125)
            self.assertRegex(r.stderr, rb"No space left on device|disk is full")
            self.assertIn(b"recording stopped", r.stderr)
            self.assertTrue(os.path.isdir(trace), "what was written is kept")
        finally:
            subprocess.run(["umount", mnt])


if __name__ == "__main__":
    unittest.main()
