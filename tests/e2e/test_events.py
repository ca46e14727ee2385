"""`ckrr events`: calls read as strace prints them (a golden comparison with a real strace run
of the same program), --json for scripts, and the selections people reach for."""
import json
import os
import re
import shutil
import subprocess
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog

STRACE = shutil.which("strace")


def normalized(line):
    # strace pads the " = " column; addresses differ between two runs of a program.
    line = re.sub(r"\)\s+= ", ") = ", line.strip())
    return re.sub(r"0x[0-9a-f]{6,}", "ADDR", line)


def between_markers(lines):
    begin = next(i for i, l in enumerate(lines) if '"BEGIN"' in l)
    end = next(i for i, l in enumerate(lines) if '"END"' in l)
    return lines[begin:end + 1]


class EventsTest(CkrrTestCase):
    def record_probe(self):
        work = self.path("work")
        os.makedirs(work)
        trace = self.path("trace")
        rec = self.ckrr("record", "-q", "-o", trace, "--", prog("decode_probe"), cwd=work)
        self.assertEqual(rec.returncode, 0, rec.stderr)
        return trace, work

    @unittest.skipUnless(STRACE, "strace is not installed")
    def test_calls_read_as_strace_prints_them(self):
        trace, work = self.record_probe()
        out = self.path("strace.txt")
        r = subprocess.run([STRACE, "-qq", "-s", "32", "-o", out, prog("decode_probe")],
                           cwd=work, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            native = [normalized(l) for l in between_markers(f.read().splitlines())]
        lines = self.events(trace, "--kind", "syscall", "--no-fd-names")
        ours = [normalized(l.split(" ", 4)[4]) for l in lines]
        ours = between_markers(ours)
        self.assertGreater(len(native), 30)
        self.assertEqual(len(ours), len(native), "\n".join(ours) + "\n---\n" + "\n".join(native))
        for a, b in zip(ours, native):
            self.assertEqual(a, b)

    def test_json_lines_parse_and_agree_with_the_text(self):
        trace, _ = self.record_probe()
        text = self.events(trace)
        objs = [json.loads(l) for l in self.events(trace, "--json")]
        self.assertEqual(len(objs), len(text))
        self.assertEqual([o["seq"] for o in objs], list(range(1, len(objs) + 1)))
        by_seq = {o["seq"]: o for o in objs}
        for line in text:
            seq, _, tid, kind, rest = line.split(" ", 4)
            o = by_seq[int(seq)]
            self.assertEqual(o["tid"], int(tid))
            self.assertEqual(o["kind"], kind)
            self.assertEqual(o["text"], rest)
        opens = [o for o in objs if o["name"] == "openat" and '"probe.txt"' in o["text"]]
        self.assertEqual(len(opens), 2)
        self.assertEqual([a["name"] for a in opens[0]["args"]],
                         ["dirfd", "pathname", "flags", "mode"])
        self.assertEqual(opens[0]["args"][2]["value"], "O_WRONLY|O_CREAT|O_TRUNC")
        failed = [o for o in objs if o["error"]]
        self.assertIn("EBADF", {o["error"] for o in failed})
        self.assertTrue(all(o["result"] < 0 for o in failed))
        self.assertEqual(objs[-1]["kind"], "exit")

    def test_fd_names_follow_opens(self):
        trace, _ = self.record_probe()
        reads = self.events(trace, "--name", "read")
        self.assertTrue(any("read(4<probe.txt>, \"hello" in l or "<probe.txt>, \"hello" in l
                            for l in reads), "\n".join(reads))

    def test_selections(self):
        trace, _ = self.record_probe()
        files = self.events(trace, "-e", "trace=%file")
        names = {l.split()[4].split("(")[0] for l in files}
        self.assertTrue({"openat", "newfstatat", "unlink", "mkdir", "readlink"} <= names, names)
        self.assertNotIn("mmap", names)
        self.assertNotIn("read", names)
        no_mem = self.events(trace, "-e", "trace=!%memory", "--kind", "syscall")
        self.assertFalse(any(" mmap(" in l or " brk(" in l for l in no_mem))
        grep = self.events(trace, "--grep", r"ENOENT")
        self.assertGreaterEqual(len(grep), 2)
        self.assertTrue(all("ENOENT" in l for l in grep))
        errors = self.events(trace, "--errors")
        self.assertTrue(set(grep) <= set(errors))
        pid = self.events(trace)[0].split()[2]
        self.assertEqual(len(self.events(trace, "--pid", pid)), len(self.events(trace)))
        self.assertEqual(self.events(trace, "--pid", "1"), [])
        self.assertEqual(len(self.events(trace, "--limit", "3")), 3)
        r = self.ckrr("events", trace, "-e", "trace=%bogus")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"unknown class", r.stderr)

    def test_colour_only_on_request_or_terminal(self):
        trace, _ = self.record_probe()
        plain = self.ckrr("events", trace).stdout
        self.assertNotIn(b"\x1b[", plain)
        coloured = self.ckrr("events", trace, "--color", "always").stdout
        self.assertIn(b"\x1b[", coloured)
        self.assertEqual(re.sub(rb"\x1b\[[0-9;]*m", b"", coloured), plain)


if __name__ == "__main__":
    unittest.main()
