"""rdtsc/rdtscp in hot loops (plugins/TscSites, docs/ARCHITECTURE.md "rdtsc sites"): each read
traps; with the agent a site that trapped a few times is patched to read through it. Run with
and without the agent (e2e_test_rdtsc and e2e_test_rdtsc_noagent, CKRR_AGENT=0); the tests
that need one or the other say so with --agent / --no-agent."""
import os
import re
import shutil
import subprocess
import textwrap
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog
from test_gdb_replay import CONNECT, PRELUDE


def agent_counts(info):
    """(buffered, stopped) summed over processes, from `ckrr info`'s agent line."""
    pairs = re.findall(r"(\d+) buffered, (\d+) stopped", info.get("agent", ""))
    return sum(int(b) for b, _ in pairs), sum(int(s) for _, s in pairs)


class Rdtsc(CkrrTestCase):
    def replays_like_native(self, argv, *record_flags):
        native = self.run_native(argv)
        self.assertEqual(native.returncode, 0)
        trace = self.path("t")
        # The digest of the values goes to stdout too under ckrr: replay must give them all back.
        env = dict(os.environ, RDTSC_HOT_DIGEST="1")
        rec = self.ckrr("record", "-q", *record_flags, "-o", trace, "--", *argv, env=env)
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        lines = rec.stdout.decode().splitlines()
        self.assertTrue(lines[-1].startswith("digest "), lines)
        self.assertEqual("\n".join(lines[:-1]) + "\n", native.stdout.decode())
        if "went backwards" in native.stdout.decode():
            self.assertNotRegex(native.stdout.decode(), r"[1-9]\d* went backwards")
        self.assert_replays(trace, rec, times=2)
        return trace

    def test_hot_loop(self):
        self.replays_like_native([prog("rdtsc_hot"), "200000"])

    def test_thread_reads_while_main_makes_syscalls(self):
        self.replays_like_native([prog("rdtsc_hot"), "threads", "50000"])

    def test_forked_child_reads_at_patched_site(self):
        self.replays_like_native([prog("rdtsc_hot"), "fork", "20000"])

    def test_exec_gets_a_fresh_image(self):
        # env execs the program in the same process: its state and patches went with the old
        # image; the new one traps, then patches its own sites.
        self.replays_like_native(["/usr/bin/env", prog("rdtsc_hot"), "20000"])

    def test_patched_sites_read_through_the_agent(self):
        trace = self.replays_like_native([prog("rdtsc_hot"), "200000"], "--agent")
        buffered, stopped = agent_counts(self.info(trace))
        # 300000 reads at 5 sites: all but the first few at each (and one per full buffer, about
        # every 6500 reads) read through the agent without a stop.
        self.assertGreater(buffered, 290000)
        self.assertLess(stopped, 1000)

    def test_without_agent_every_read_traps(self):
        trace = self.replays_like_native([prog("rdtsc_hot"), "5000"], "--no-agent")
        self.assertEqual(agent_counts(self.info(trace))[0], 0)
        rdtsc = [l for l in self.events(trace) if " rdtsc " in l or " rdtscp " in l]
        self.assertGreaterEqual(len(rdtsc), 7500)

    def test_unmovable_site_keeps_trapping(self):
        # rdtsc then a RIP-relative store: nothing after the read may be moved, so even with
        # the agent every read stops (and replays).
        trace = self.replays_like_native([prog("rdtsc_hot"), "unmovable", "3000"], "--agent")
        self.assertLess(agent_counts(self.info(trace))[0], 100)
        rdtsc = [l for l in self.events(trace) if " rdtsc " in l]
        self.assertGreaterEqual(len(rdtsc), 3000)

    def test_forked_child_with_agent(self):
        trace = self.replays_like_native([prog("rdtsc_hot"), "fork", "20000"], "--agent")
        buffered, _ = agent_counts(self.info(trace))
        self.assertGreater(buffered, 39000)

    def test_checkpoints_keep_patched_sites(self):
        # Trap counts, trampolines and the patched code are the process's memory: the state
        # at an event is the same replayed from the start or from a checkpoint before it.
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "5ms", "-o", trace, "--",
                        prog("rdtsc_hot"), "fork", "30000")
        self.assertEqual(rec.returncode, 0, rec.stderr)
        r = self.ckrr("checkpoints", trace)
        self.assertEqual(r.returncode, 0, r.stderr)
        cps = [tuple(int(x) for x in l.split()[:2]) for l in r.stdout.decode().splitlines()[1:]]
        self.assertGreaterEqual(len(cps), 2, "expected several checkpoints")
        total = int(self.info(trace)["events"])
        for cp_id, seq in cps[-3:]:  # the last ones: after the sites were patched
            for n in sorted({seq, min(seq + 5, total - 1)}):
                self.assertEqual(self.state(trace, n, "--from-start"),
                                 self.state(trace, n, "--from-checkpoint", str(cp_id)),
                                 f"event {n} from start vs checkpoint {cp_id}")
        self.assert_replays(trace, rec, times=1)

    @unittest.skipIf(shutil.which("gdb") is None, "gdb is not installed")
    def test_gdb_breakpoint_at_patched_site(self):
        # gdb drives the replay stop by stop: the site's breakpoint is hit before and after the
        # site is patched (its int3 over the jmp), reads through the agent are answered as
        # trapped ones, and the program still runs to its recorded end.
        trace = self.path("t")
        rec = self.record(trace, [prog("rdtsc_hot"), "pick", "a"])
        self.assertEqual(rec.returncode, 0, rec.stderr)
        stub = subprocess.Popen([CKRR, "replay", trace, "--gdb", ":0", "--once"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = stub.stderr.readline().decode()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        self.assertIsNotNone(m, line)
        script = self.path("check.py")
        with open(script, "w") as f:
            f.write(PRELUDE + CONNECT + textwrap.dedent('''
                dis = run("disassemble site_a")
                site = re.search(r"(0x[0-9a-f]+) <\\+\\d+>:\\s+rdtsc", dis)
                check(site is not None, "no rdtsc in site_a: " + dis)
                run("break *" + site.group(1))
                seen = []
                for i in range(12):
                    run("continue")
                    check(val("$pc") == int(site.group(1), 16), "stopped elsewhere")
                    seen.append(when())
                check(seen == sorted(set(seen)), "events do not advance: %s" % seen)
                run("delete")
                run("continue")  # to the end of the recording
            '''))
        r = subprocess.run(["gdb", "-batch", "-nx", "-x", script], capture_output=True, timeout=300,
                           env={**os.environ, "CKRR_GDB_PORT": m.group(1)})
        stub.wait(timeout=60)
        stub.stdout.close()
        stub.stderr.close()
        out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, out)
        self.assertNotIn("CHECK FAILED", out)
        self.assertEqual(out.count("Breakpoint 1, "), 12, out)
        # The end of the recording: the program's last call.
        self.assertRegex(out, r"No more reverse-execution history.\n.*_exit", out)

    def diverges(self, *record_flags):
        trace = self.path("t")
        rec = self.ckrr("record", "-q", *record_flags, "-o", trace, "--",
                        prog("rdtsc_hot"), "pick", "a")
        self.assertEqual(rec.returncode, 0, rec.stderr)
        launch = os.path.join(trace, "launch")
        with open(launch, "rb") as f:
            data = f.read()
        self.assertIn(b"\0a\0", data)
        with open(launch, "wb") as f:  # the program now reads at the other site
            f.write(data.replace(b"\0a\0", b"\0b\0", 1))
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 125, r.stderr)
        err = r.stderr.decode()
        self.assertRegex(err, r"diverged at event \d+")
        self.assertIn("expected: rdtsc", err)
        return err

    def test_read_at_another_patched_site_diverges(self):
        err = self.diverges("--agent")
        self.assertIn("was not made", err)  # the agent's record at site a, not taken

    def test_read_at_another_trapped_site_diverges(self):
        self.diverges("--no-agent")


if __name__ == "__main__":
    unittest.main()
