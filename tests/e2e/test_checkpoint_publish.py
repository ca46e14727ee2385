"""Checkpoints published in the background (issue 12): the app is held only for the
copy-on-write snapshot; a checkpoint due while another is being published waits its turn; a
recording that ends during a publish waits for it. Every checkpoint still replays like the
start."""
import os
import unittest

from ckrr_testlib import CkrrTestCase, prog


class CheckpointPublish(CkrrTestCase):
    def meta(self, trace, key):
        import sqlite3
        db = sqlite3.connect(os.path.join(trace, "timeline.db"))
        try:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        finally:
            db.close()
        return row[0] if row else None

    def check_every_checkpoint(self, trace, cps, after=1):
        total = int(self.info(trace)["events"])
        for cp_id, seq in cps:
            n = min(seq + after, total - 1)
            self.assertEqual(self.state(trace, n, "--from-start"),
                             self.state(trace, n, "--from-checkpoint", str(cp_id)),
                             f"event {n} from the start vs from checkpoint {cp_id}")

    def record_busy(self, interval, rounds="300"):
        # 64 MB of distinct pages, 10% rewritten between getppid calls: each publish reads and
        # writes tens of MB, while checkpoints keep coming due.
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", interval, "-o", trace, "--",
                        prog("ckpt_dirty"), "64", rounds, "10")
        self.assertEqual(rec.returncode, 0, rec.stderr)
        self.assertEqual(self.info(trace)["complete"], "yes")
        return trace, rec

    def assert_whole(self, trace, cps):
        d = os.path.join(trace, "checkpoints")
        names = os.listdir(d)
        self.assertFalse([n for n in names if n.startswith("tmp-")], names)
        on_disk = sorted(int(n) for n in names if n.isdigit())
        self.assertEqual(on_disk, [c for c, _ in cps], "every published checkpoint is indexed")
        for c, _ in cps:
            self.assertTrue(os.path.isfile(os.path.join(d, str(c), "manifest")))

    def test_recording_ends_while_publishing(self):
        trace, rec = self.record_busy("1ms")
        self.assertEqual(self.meta(trace, "checkpoints_waited_at_end"), "1",
                         "the program ended while a checkpoint was being published")
        cps = self.checkpoints(trace)
        self.assertGreaterEqual(len(cps), 1)
        self.assert_whole(trace, cps)
        self.check_every_checkpoint(trace, cps)
        self.assert_replays(trace, rec, times=1)

    def test_requests_during_a_publish_wait_their_turn(self):
        trace, rec = self.record_busy("1ms", rounds="600")
        cps = self.checkpoints(trace)
        self.assertGreaterEqual(len(cps), 2)
        delayed = int(self.meta(trace, "delayed_checkpoints") or "0")
        self.assertGreater(delayed, 0, "checkpoints came due while one was being published")
        r = self.ckrr("info", trace)
        self.assertIn(b"delayed checkpoints: %d" % delayed, r.stdout)
        self.assertIn(b"checkpoint cost: the app held", r.stdout)
        self.assert_whole(trace, cps)
        self.check_every_checkpoint(trace, cps)

    def test_dirty_tracking_edges_replay_like_the_start(self):
        # read() into untouched and already saved pages (kernel writes), mremap, MADV_DONTNEED,
        # and all of it again in a child after fork, with a checkpoint after nearly every step:
        # every checkpoint, incremental or not, gives the state replay from the start gives.
        data = self.path("data.bin")
        with open(data, "wb") as f:
            f.write(os.urandom(8192))
        trace = self.path("t")
        argv = [prog("dirty_edges"), data, "4"]
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "1ms", "-o", trace, "--", *argv)
        self.assertEqual(rec.returncode, 0, rec.stderr)
        self.assertEqual(rec.stdout, self.run_native(argv).stdout)
        cps = self.checkpoints(trace)
        self.assertGreaterEqual(len(cps), 10)
        # Dirty tracking was at work: some checkpoints read fewer pages than they saved, and
        # found written pages.
        stats = [dict(kv.split("=") for kv in (self.meta(trace, "checkpoint.%d" % c) or "").split())
                 for c, _ in cps]
        self.assertTrue(any(int(s["pages_read"]) < int(s["pages_saved"]) for s in stats))
        self.assertTrue(any(int(s["pages_written"]) > 0 for s in stats))
        self.assert_whole(trace, cps)
        # At each checkpoint's own event (the checkpoint's contents themselves) and a few events
        # later (MADV_DONTNEED and mremap replayed on restored memory: test_restored_memory).
        self.check_every_checkpoint(trace, cps, after=0)
        self.check_every_checkpoint(trace, cps, after=5)
        self.assert_replays(trace, rec, times=1)

    def test_writes_right_after_a_checkpoint_to_new_memory(self):
        # New mappings are write-protected for dirty tracking only after the app has resumed;
        # the app writes to them at once: the next checkpoint must count those pages written
        # (else it reuses the older copy and its state differs from replay from the start).
        trace = self.path("t")
        argv = [prog("dirty_defer"), "3"]
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "1ms", "-o", trace, "--", *argv)
        self.assertEqual(rec.returncode, 0, rec.stderr)
        self.assertEqual(rec.stdout, self.run_native(argv).stdout)
        cps = self.checkpoints(trace)
        self.assertGreaterEqual(len(cps), 5)
        self.assert_whole(trace, cps)
        self.check_every_checkpoint(trace, cps, after=0)

    def test_default_spacing_keeps_checkpoints_a_small_share(self):
        # 128 MB rewritten 10% at a time for a few seconds, default interval (1 s): the first
        # checkpoint costs far more than 5% of a second, so the next one is put off (counted and
        # shown); an explicit interval is honoured instead.
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "-o", trace, "--", prog("ckpt_dirty"), "128", "40000", "10")
        self.assertEqual(rec.returncode, 0, rec.stderr)
        cps = self.checkpoints(trace)
        self.assertGreaterEqual(len(cps), 1)
        self.assertGreaterEqual(int(self.meta(trace, "spaced_checkpoints") or "0"), 1)
        self.assertIn(b"spaced checkpoints:", self.ckrr("info", trace).stdout)
        self.check_every_checkpoint(trace, cps)
        trace2 = self.path("t2")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "1s", "-o", trace2, "--",
                        prog("ckpt_dirty"), "128", "40000", "10")
        self.assertEqual(rec.returncode, 0, rec.stderr)
        self.assertEqual(self.meta(trace2, "spaced_checkpoints"), "0")


if __name__ == "__main__":
    unittest.main()
