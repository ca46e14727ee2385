"""Housekeeping of recordings: ckrr ls, rm, pack, and the CPU-feature check of replay."""
import os
import shutil
import sqlite3

from ckrr_testlib import CkrrTestCase, prog


class TracesTest(CkrrTestCase):
    def test_ls_lists_the_recordings_of_a_directory(self):
        work = self.path("w")
        os.makedirs(work)
        for args in (["/bin/true"], ["/bin/echo", "hi"]):
            r = self.ckrr("record", "-q", *args, cwd=work)
            self.assertEqual(r.returncode, 0, r.stderr)
        os.makedirs(os.path.join(work, "ckrr-traces", "not-a-trace"))
        r = self.ckrr("ls", cwd=work)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertTrue(lines[0].startswith("NAME"), lines)
        self.assertEqual([l.split()[0] for l in lines[1:]], ["echo-1", "true-1"])
        echo = lines[1].split()
        self.assertEqual(echo[-3:], ["yes", "/bin/echo", "hi"])
        info = self.info(os.path.join(work, "ckrr-traces", "echo-1"))
        self.assertIn(info["events"], echo)
        # A trace given directly is listed alone; a missing directory is an error.
        one = self.ckrr("ls", os.path.join(work, "ckrr-traces", "true-1"))
        self.assertEqual(len(one.stdout.decode().splitlines()), 2)
        self.assertNotEqual(self.ckrr("ls", self.path("nowhere")).returncode, 0)

    def test_rm_deletes_traces_only(self):
        trace = self.path("t")
        self.assertEqual(self.record(trace, ["/bin/true"]).returncode, 0)
        other = self.path("plain")
        os.makedirs(other)
        r = self.ckrr("rm", trace, other)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"not a ckrr trace", r.stderr)
        self.assertTrue(os.path.isdir(trace), "nothing is deleted when one is refused")
        r = self.ckrr("rm", trace)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(trace))
        self.assertTrue(os.path.isdir(other))

    def test_pack_restores_damaged_copies_and_names_what_it_cannot(self):
        exe = self.path("time_random_copy")
        shutil.copy(prog("time_random"), exe)
        trace = self.path("t")
        rec = self.record(trace, [exe])
        self.assertEqual(rec.returncode, 0, rec.stderr)
        r = self.ckrr("pack", trace)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(b"self-contained", r.stdout)
        self.assertIn(b"cpu features", r.stdout)
        con = sqlite3.connect(os.path.join(trace, "timeline.db"))
        stored = con.execute("SELECT value FROM meta WHERE key='exe_stored'").fetchone()[0]
        con.close()
        copy = os.path.join(trace, stored)
        os.chmod(copy, 0o600)
        with open(copy, "r+b") as f:
            f.seek(100)
            f.write(b"\xff\xff\xff\xff")
        r = self.ckrr("pack", trace)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(b"restored " + stored.encode(), r.stdout)
        # Self-contained: the program itself is no longer needed.
        os.unlink(exe)
        self.assertEqual(self.ckrr("replay", trace).stdout, rec.stdout)
        # Damaged again, and the original is gone: nothing to restore from.
        with open(copy, "r+b") as f:
            f.write(b"\0" * 64)
        r = self.ckrr("pack", trace)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(b"missing or damaged: " + stored.encode(), r.stdout)

    def test_replay_refuses_a_cpu_without_a_recorded_feature(self):
        trace = self.path("t")
        rec = self.record(trace, [prog("time_random")])
        self.assertEqual(rec.returncode, 0)
        con = sqlite3.connect(os.path.join(trace, "timeline.db"))
        con.execute("UPDATE meta SET value = value || ' ckrr_test_feature' "
                    "WHERE key = 'cpu_features'")
        con.commit()
        con.close()
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 125)
        self.assertIn(b"lacks: ckrr_test_feature", r.stderr)
        r = self.ckrr("replay", trace, "--ignore-cpu-features")
        self.assertEqual(r.returncode, rec.returncode, r.stderr)
        self.assertEqual(r.stdout, rec.stdout)
        self.assertIn(b"warning", r.stderr)


class ReplayElsewhereTest(CkrrTestCase):
    """A replay does not depend on the directory it is started from, nor on the recorded
    program still being there."""

    def test_relative_execs_replay_from_any_directory(self):
        work = self.path("work")
        os.makedirs(os.path.join(work, "sub"))
        shutil.copy(prog("time_random"), os.path.join(work, "tr"))
        shutil.copy(prog("time_random"), os.path.join(work, "sub", "tr2"))
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "-o", trace, "--", "./tr", cwd=work)
        self.assertEqual(rec.returncode, 0, rec.stderr)
        trace2 = self.path("t2")
        rec2 = self.ckrr("record", "-q", "-o", trace2, "--", "/bin/sh", "-c",
                         "./tr; cd sub && ./tr2; cd / && pwd", cwd=work)
        self.assertEqual(rec2.returncode, 0, rec2.stderr)
        for t, r in ((trace, rec), (trace2, rec2)):
            rep = self.ckrr("replay", t, cwd="/")
            self.assertEqual(rep.returncode, 0, rep.stderr)
            self.assertEqual(rep.stdout, r.stdout)
        # The program started by relative path is gone: the stored copy runs in its place.
        os.unlink(os.path.join(work, "tr"))
        rep = self.ckrr("replay", trace, cwd="/")
        self.assertEqual(rep.stdout, rec.stdout, rep.stderr)
