"""Memory of a process restored from a checkpoint behaves like the original's (issue 12):
pages dropped with madvise(MADV_DONTNEED) after the checkpoint read as zero, and a mapping
grown in place by mremap gets zero pages, whether the process is replayed from the checkpoint
or restarted from it; the same while a lazy restore is still filling the pages in, with a fork
and an mremap during the filling. Run with the lazy restore (where the kernel allows it) and
with CKRR_RESTORE=eager. (Anonymous memory used to be restored as a private mapping of the page
packs, which brings the pack's pages back instead.)"""
import os
import unittest

from ckrr_testlib import CkrrTestCase, prog


class RestoredMemory(CkrrTestCase):
    def assert_tail(self, native, out, what):
        lines = native.splitlines(keepends=True)
        got = out.splitlines(keepends=True)
        self.assertLessEqual(len(got), len(lines), what)
        self.assertEqual(got, lines[len(lines) - len(got):] if got else [], what)
        return len(got)

    def check(self, threads):
        # 64 MB besides: restored lazily, it is still being filled when the program drops part
        # of it, moves it and forks right after the last checkpoints.
        argv = [prog("madvise_restored"), str(threads), "4", "64"]
        native = self.run_native(argv)
        self.assertEqual(native.returncode, 0)
        trace = self.path("t%d" % threads)
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "1ms", "-o", trace, "--", *argv)
        self.assertEqual(rec.returncode, 0, rec.stderr)
        self.assertEqual(rec.stdout, native.stdout)
        cps = self.checkpoints(trace)
        self.assertGreaterEqual(len(cps), 8)
        last = int(self.info(trace)["events"]) - 1
        end_from_start = self.state(trace, last, "--from-start")
        # Checkpoints spread over the run (each after its first): replay from it to the end
        # prints the rest of the recorded output, and ends in the same memory state.
        picked = cps[1::max(1, len(cps) // 6)] + cps[-2:]
        printed = []
        for cp_id, seq in picked:
            r = self.ckrr("replay", trace, "--from-checkpoint", str(cp_id))
            self.assertEqual(r.returncode, 0,
                             f"replay from checkpoint {cp_id}: {r.stderr.decode(errors='replace')}")
            printed.append(self.assert_tail(native.stdout.decode(), r.stdout.decode(),
                                            f"replay from checkpoint {cp_id}"))
            self.assertEqual(end_from_start,
                             self.state(trace, last, "--from-checkpoint", str(cp_id)),
                             f"the last event from the start vs from checkpoint {cp_id}")
        self.assertGreater(max(printed), 1, "some checkpoint is before several rounds")
        # Restarted for real: the rest of the native output, status 0. Two early checkpoints and
        # the last one before the fork (a checkpoint of two processes cannot be restarted yet).
        fork_seq = [int(line.split()[0]) for line in self.events(trace)
                    if " syscall clone(" in line and "CLONE_VM" not in line][-1]
        late = [c for c in cps if c[1] < fork_seq][-1]
        for cp_id, seq in picked[:2] + [late]:
            r = self.ckrr("restart", trace, "--checkpoint", str(cp_id))
            self.assertEqual(r.returncode, 0,
                             f"restart from checkpoint {cp_id}: {r.stderr.decode(errors='replace')}")
            n = self.assert_tail(native.stdout.decode(), r.stdout.decode(),
                                 f"restart from checkpoint {cp_id}")
            if (cp_id, seq) == late:
                self.assertGreaterEqual(n, 2, "the last restart forks and prints both sums")

    def test_madvise_and_mremap_after_a_checkpoint(self):
        self.check(0)

    def test_madvise_and_mremap_after_a_checkpoint_with_threads(self):
        self.check(2)

    def test_copied_in_restore(self):
        os.environ["CKRR_RESTORE"] = "eager"
        try:
            self.check(2)
        finally:
            del os.environ["CKRR_RESTORE"]


if __name__ == "__main__":
    unittest.main()
