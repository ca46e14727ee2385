"""Process lifecycle: processes that die under ckrr's hands, ckrr record ended by a signal while
its program is stuck, job control, and programs that could make ckrr wait forever.

Programs are tests/programs/lc_*.c. Each is recorded and replayed; the replay must print what
was recorded and end the same way, and where the program is deterministic the recording must
print what a native run prints. Programs that signal their whole process group run in a new
session (start_new_session) so that the test runner is not in that group.
"""
import os
import pty
import select
import signal
import subprocess
import time
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog

TIMEOUT = 300


class LifecycleTestCase(CkrrTestCase):
    def native(self, argv, **kw):
        return subprocess.run(argv, capture_output=True, timeout=TIMEOUT, **kw)

    def same_as_native_and_replays(self, argv, times=2, **kw):
        """Records argv, checks output and status against a native run, replays `times` times."""
        nat = self.native(argv, **kw)
        trace, rec = self.record_and_replay(argv, times=times, **kw)
        self.assertEqual(rec.returncode, nat.returncode,
                         f"recorded status differs from native; stderr: "
                         f"{rec.stderr.decode(errors='replace')}")
        self.assertEqual(rec.stdout, nat.stdout, "recorded output differs from native")
        return trace, rec

    def info_text(self, trace):
        r = self.ckrr("info", trace)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return r.stdout.decode(errors="replace")

    def start_recording(self, trace, argv, env=None):
        return subprocess.Popen([CKRR, "record", "-q", "-o", trace, "--", *argv],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, env=env)

    def finish(self, p):
        try:
            return p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            self.fail("ckrr record did not end")


class DyingProcesses(LifecycleTestCase):
    # Known issue (README, agent row): with the agent, after the live-restart work merged, this
    # recording no longer ends (it passed with the agent on its own branch). Kept failing-able
    # without the agent; open under issue 11.
    @unittest.skipIf(os.environ.get("CKRR_AGENT", "1") != "0",
                     "known issue: recording hangs with the agent (issue 11)")
    def test_children_sigkilled_at_arbitrary_moments(self):
        """200 children making syscalls in a tight loop (some with threads) are SIGKILLed by
        their parent or by a sibling process at varying moments: between a stop and ckrr's next
        ptrace call, in a call, in app code. Each is an ordinary death, recorded and replayed."""
        argv = [prog("lc_sigkill_children"), "200"]
        trace, rec = self.same_as_native_and_replays(argv)
        self.assertEqual(rec.stdout, b"killed 200 other 0\n")
        self.assertIn("complete: yes", self.info_text(trace))

    def test_program_sigkilled_from_outside(self):
        """The recorded program itself is SIGKILLed by a process outside the recording while its
        threads wait: the recording ends with its status (137), complete, and replays so."""
        trace = self.path("t")
        p = self.start_recording(trace, [prog("lc_stuck"), "threads"])
        self.assertEqual(p.stdout.readline(), b"ready\n")
        pid = self.child_of(p.pid)
        time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        out, err = self.finish(p)
        self.assertEqual(p.returncode, 137, err.decode(errors="replace"))
        self.assertIn("complete: yes", self.info_text(trace))
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 137, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout, b"ready\n")

    def child_of(self, pid):
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
        self.assertEqual(len(kids), 1, kids)
        return int(kids[0])


class EndingTheRecorder(LifecycleTestCase):
    """SIGTERM or SIGINT to ckrr record while its program is stuck: it answers within about a
    second, kills the program and leaves a complete trace whose replay ends the same way."""

    def end_stuck(self, how, sig, status):
        trace = self.path(f"t-{how}")
        p = self.start_recording(trace, [prog("lc_stuck"), how])
        self.assertEqual(p.stdout.readline(), b"ready\n")
        time.sleep(0.3)
        t0 = time.monotonic()
        p.send_signal(sig)
        out, err = self.finish(p)
        took = time.monotonic() - t0
        self.assertEqual(p.returncode, status, err.decode(errors="replace"))
        # About 0.5 s for SIGINT (the program's chance to end by itself), ms for SIGTERM; the
        # bound is loose for loaded and sanitizer builds.
        self.assertLess(took, 5.0)
        info = self.info_text(trace)
        self.assertIn("complete: yes", info)
        self.assertRegex(info, r"ended by: ckrr record received SIG(TERM|INT) from pid \d+")
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 137, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout, b"ready\n")
        self.assertIn(b"the recording ends here, as recorded: ckrr record received", r.stderr)
        return took

    def test_sigterm_read_on_a_pipe(self):
        self.end_stuck("read", signal.SIGTERM, 143)

    def test_sigterm_threads_waiting(self):
        self.end_stuck("threads", signal.SIGTERM, 143)

    def test_sigterm_vfork_parent(self):
        """A vfork parent sleeps until its child execs or exits; the child blocks in read."""
        self.end_stuck("vfork", signal.SIGTERM, 143)

    def test_sigterm_program_ignores_it(self):
        self.end_stuck("ignore", signal.SIGTERM, 143)

    def test_sigint_to_ckrr_only(self):
        self.end_stuck("ignore", signal.SIGINT, 130)

    def test_sigint_to_ckrr_only_threads(self):
        self.end_stuck("threads", signal.SIGINT, 130)


class JobControl(LifecycleTestCase):
    def test_stop_and_continue_seen_by_the_parent(self):
        """A child stops itself (SIGSTOP, SIGTSTP, and SIGSTOP from a second thread); its parent
        sees it stopped (WUNTRACED), continues it and sees that (WCONTINUED); the child's
        SIGCONT handler runs before it goes on."""
        trace, rec = self.same_as_native_and_replays([prog("lc_jobctl")])
        self.assertEqual(rec.stdout.count(b"stopped sig"), 3)
        self.assertEqual(rec.stdout.count(b"SIGCONT handled 1"), 3)

    def test_signals_to_the_whole_process_group(self):
        """kill(0, sig) with a handler and ignored, for signals that would kill, stop or
        checkpoint ckrr record, which shares the program's process group. The child, which has
        not run yet when they come, gets them all before it goes on, as natively (they used to
        be delivered one per syscall)."""
        trace, rec = self.same_as_native_and_replays([prog("lc_killpg")], start_new_session=True)
        self.assertIn(b"child: got 11 kinds\n", rec.stdout)
        self.assertIn("complete: yes", self.info_text(trace))

    def test_background_write_with_tostop(self):
        """On a terminal with TOSTOP, a background child's write gets SIGTTOU and stops it; the
        parent sees it stopped, brings it to the foreground and continues it. Used to loop
        forever (the SIGTTOU was suppressed and the write restarted)."""
        native = self.on_pty([prog("lc_tostop")])
        trace = self.path("t")
        recorded = self.on_pty([CKRR, "record", "-q", "-o", trace, "--", prog("lc_tostop")])
        self.assertEqual(recorded, native)
        self.assertIn(b"parent: stopped 22", recorded)
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout, recorded)

    def on_pty(self, argv):
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(argv[0], argv)
        out = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    break
                if not data:
                    break
                out += data
            elif os.waitpid(pid, os.WNOHANG)[0] == pid:
                os.close(fd)
                return out.replace(b"\r\n", b"\n")
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(fd)
        self.assertLess(time.monotonic(), deadline, f"hung; output so far: {out!r}")
        return out.replace(b"\r\n", b"\n")


class NeverHang(LifecycleTestCase):
    def test_clone_untraced(self):
        """A CLONE_UNTRACED child is traced anyway (it used to run untraced under the
        recording's seccomp filter and die of SIGSEGV)."""
        trace, rec = self.same_as_native_and_replays([prog("lc_untraced")])
        self.assertEqual(rec.stdout, b"untraced child: pid differs from parent 1\n"
                                     b"parent: child exit 5\n")

    def test_daemon_that_ends(self):
        native_file = self.path("native.txt")
        self.native([prog("lc_daemon"), native_file])
        for _ in range(100):  # the daemon writes after the main program has ended
            if os.path.exists(native_file) and os.path.getsize(native_file):
                break
            time.sleep(0.05)
        out = self.path("rec.txt")
        trace, rec = self.record_and_replay([prog("lc_daemon"), out])
        self.assertEqual(rec.stdout, b"main: first child exit 0\n")
        with open(native_file, "rb") as a, open(out, "rb") as b:
            self.assertEqual(b.read(), a.read())
        self.assertIn("complete: yes", self.info_text(trace))

    def test_busy_leftover_ends_after_a_bound(self):
        """A leftover that never waits 2 s (a server polling, a loop of sleeps) is killed 10 s
        after the main program ended; the recording is complete and replays."""
        trace = self.path("busy")
        r = self.ckrr("record", "-o", trace, "--", "/bin/sh", "-c",
                      "(while true; do sleep 0.3; done) & echo started")
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout, b"started\n")
        info = self.info_text(trace)
        self.assertIn("complete: yes", info)
        self.assertRegex(info, r"ended by: the program ended; .* still ran 10 s later and were killed")
        rp = self.ckrr("replay", trace)
        self.assertEqual(rp.returncode, 0, rp.stderr.decode(errors="replace"))
        self.assertEqual(rp.stdout, b"started\n")

    def test_daemon_that_blocks_forever(self):
        """The recording follows the processes the program leaves behind while they make
        progress; once they all wait 2 s with nothing happening it kills them and ends, with a
        message and a complete trace. (Natively the daemon would live on.)"""
        out = self.path("rec.txt")
        t0 = time.monotonic()
        r = self.ckrr("record", "-o", self.path("t"), "--", prog("lc_daemon"), out, "block")
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout, b"main: first child exit 0\n")
        self.assertIn(b"process(es) it left behind", r.stderr)
        self.assertLess(took, 60)
        info = self.info_text(self.path("t"))
        self.assertIn("complete: yes", info)
        self.assertRegex(info, r"ended by: the program ended; the 1 process\(es\) it left behind")
        self.assertIn("killed by SIGKILL", info)
        rp = self.ckrr("replay", self.path("t"))
        self.assertEqual(rp.returncode, 0, rp.stderr.decode(errors="replace"))
        self.assertEqual(rp.stdout, r.stdout)

    def test_grandchild_starts_threads_while_computing(self):
        self.same_as_native_and_replays([prog("lc_grandchild_threads"), "compute"])

    def test_grandchild_starts_threads_while_blocked(self):
        self.same_as_native_and_replays([prog("lc_grandchild_threads"), "block"])

    def test_watchdog_names_what_threads_wait_for(self):
        """A program waits for a child that stopped itself and that nobody continues (natively
        a hang too). The watchdog names both threads and what they wait for; SIGTERM still
        ends the recording."""
        trace = self.path("t")
        env = dict(os.environ, CKRR_WATCHDOG_SECONDS="1")
        p = self.start_recording(trace, [prog("lc_stuck"), "stopped"], env=env)
        self.assertEqual(p.stdout.readline(), b"ready\n")
        err = b""
        deadline = time.monotonic() + 60
        while b"\n  tid" not in err or not err.endswith(b"\n") or err.count(b"  tid") < 2:
            self.assertLess(time.monotonic(), deadline, f"no watchdog report: {err!r}")
            r, _, _ = select.select([p.stderr], [], [], 1)
            if r:
                err += os.read(p.stderr.fileno(), 4096)
        p.send_signal(signal.SIGTERM)
        _, rest = self.finish(p)
        err += rest
        self.assertEqual(p.returncode, 143, err.decode(errors="replace"))
        text = err.decode(errors="replace")
        self.assertIn("ckrr: watchdog: no progress for", text)
        self.assertRegex(text, r"tid \d+ \(lc_stuck\): sleeping in wait4\(")
        self.assertRegex(text, r"tid \d+ \(lc_stuck\): stopped under ptrace")
        self.assertIn("complete: yes", self.info_text(trace))


if __name__ == "__main__":
    unittest.main()
