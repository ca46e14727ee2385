"""The in-process agent (agent/, docs/ARCHITECTURE.md "The agent"): buffered calls recorded in
the app and replayed from its buffer, with threads, signals and checkpoints; static binaries
fall back to stops."""
import os
import re
import unittest

from ckrr_testlib import CkrrTestCase, prog

AGENT_ON = dict(os.environ, CKRR_AGENT="1")


def buffered_counts(info):
    """{pid: (buffered, stopped)} from `ckrr info`'s agent line."""
    line = info.get("agent", "")
    return {int(p): (int(b), int(s))
            for p, b, s in re.findall(r"(\d+): (\d+) buffered, (\d+) stopped", line)}


class Agent(CkrrTestCase):
    def record_with_agent(self, argv, *opts):
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "--force", *opts, "-o", trace, "--", *argv, env=AGENT_ON)
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        return trace, rec

    def test_buffered_read_replays_from_the_buffer(self):
        data = self.path("data.txt")
        with open(data, "w") as f:
            f.write("recorded content")
        native = self.run_native([prog("agent_calls"), data])
        trace, rec = self.record_with_agent([prog("agent_calls"), data])
        # (time decides the rest of the output)
        self.assertEqual(rec.stdout.splitlines()[0], native.stdout.splitlines()[0])
        info = self.info(trace)
        self.assertTrue(info["agent"].startswith("on"), info)
        counts = buffered_counts(info)
        self.assertTrue(counts and all(b > 0 for b, _ in counts.values()), info["agent"])
        # Buffered events are events like the others (own numbers, in `ckrr events`).
        self.assertTrue(any(" newfstatat(" in e for e in self.events(trace)))
        with open(data, "w") as f:
            f.write("CHANGED after the recording, longer")
        for _ in range(2):
            r = self.ckrr("replay", trace)
            self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
            self.assertEqual(r.stdout, rec.stdout)
        self.assertIn(b"recorded content", r.stdout)

    def test_checkpoints_with_buffered_calls(self):
        data = self.path("data.txt")
        with open(data, "w") as f:
            f.write("x" * 40)
        trace, rec = self.record_with_agent([prog("agent_calls"), data],
                                            "--checkpoint-interval", "2ms")
        r = self.ckrr("checkpoints", trace)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [line.split() for line in r.stdout.decode().splitlines()[1:]]
        self.assertTrue(rows, "expected checkpoints")
        for cp in rows[:3]:
            r = self.ckrr("replay", trace, "--from-checkpoint", cp[0])
            self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))

    def test_signal_among_buffered_calls(self):
        """A timer signal unblocked at the agent's exit is placed there by registers, a point
        every buffered call passes; replay delivers it at the pass after the calls flushed
        before it ("tight": passes that nothing else tells apart)."""
        data = self.path("data.txt")
        with open(data, "w") as f:
            f.write("z")
        for loop in ("1", "tight"):
            for _ in range(3):
                trace, rec = self.record_with_agent([prog("agent_calls"), data, loop])
                self.assertRegex(rec.stdout, rb"signals: [3-9] after \d+ calls\n$")
                self.assertTrue(any(" SIGALRM " in e for e in self.events(trace)))
                counts = buffered_counts(self.info(trace))
                self.assertTrue(counts and all(b > 0 for b, _ in counts.values()), counts)
                for _ in range(2):
                    r = self.ckrr("replay", trace)
                    self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
                    self.assertEqual(r.stdout, rec.stdout)

    def test_buffered_calls_read_as_stopped_ones(self):
        # The paths a buffered call read are kept for display (strace's notation, as a stopped
        # call shows them), and the agent's own setup (its buffer's mmap) is no event.
        data = self.path("data.txt")
        with open(data, "w") as f:
            f.write("p")
        trace, rec = self.record_with_agent([prog("agent_calls"), data, "1"])
        events = self.events(trace)
        shown = re.compile(r'newfstatat\(AT_FDCWD, "%s", \{st_mode=S_IFREG\|0[0-7]{3}, '
                           r'st_size=1, \.\.\.\}, 0\) = 0$' % re.escape(data))
        self.assertTrue(any(shown.search(e) for e in events), "\n".join(events[-20:]))
        self.assertFalse([e for e in events if "MAP_FIXED_NOREPLACE" in e])
        counts = buffered_counts(self.info(trace))
        self.assertTrue(counts and all(b > 100 for b, _ in counts.values()), counts)

    def test_static_binary_falls_back(self):
        trace, rec = self.record_with_agent([prog("time_random_static")])
        counts = buffered_counts(self.info(trace))
        self.assertTrue(counts and all(b == 0 for b, _ in counts.values()), counts)
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout, rec.stdout)

    def test_no_agent_option(self):
        data = self.path("data.txt")
        with open(data, "w") as f:
            f.write("y")
        trace, rec = self.record_with_agent([prog("agent_calls"), data], "--no-agent")
        self.assertTrue(self.info(trace)["agent"].startswith("off"))
        counts = buffered_counts(self.info(trace))
        self.assertTrue(all(b == 0 for b, _ in counts.values()), counts)


if __name__ == "__main__":
    unittest.main()
