"""Breadth: one small probe per group of syscalls (tests/programs/syscall_groups.c), each run
natively, recorded and replayed twice; the outputs must be byte-equal. Calls ckrr does not know
(invalid numbers, numbers newer than its table, undescribed ioctls) are recorded, not refused,
and `ckrr info` names the ones recorded conservatively."""
import os
import unittest

from ckrr_testlib import CkrrTestCase, prog

# Groups whose output is the same natively and under ckrr.
NATIVE_GROUPS = ["sysv", "mqueue", "pidfd", "splice", "mmsg", "xattr", "notify", "fds", "sched",
                 "arch", "admin", "sandbox", "ioctl", "unknown"]


class SyscallGroups(CkrrTestCase):
    def probe(self, group, native=True):
        work = self.path("work-" + group)
        os.mkdir(work)
        nat = None
        if native:
            nat = self.run_native([prog("syscall_groups"), group, work])
            self.assertEqual(nat.returncode, 0, nat.stderr)
            for f in os.listdir(work):
                os.remove(os.path.join(work, f))
        trace, rec = self.record_and_replay([prog("syscall_groups"), group, work], name=group)
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        if nat is not None:
            self.assertEqual(rec.stdout, nat.stdout, f"{group}: the recording differs from a native run")
        return trace, rec

    def test_groups_like_native(self):
        for group in NATIVE_GROUPS:
            with self.subTest(group=group):
                self.probe(group)

    def test_unknown_numbers_recorded_conservatively(self):
        trace, rec = self.probe("unknown")
        self.assertIn(b"syscall(999): ENOSYS", rec.stdout)
        info = self.info(trace)
        self.assertEqual(info["complete"], "yes")
        listed = info["recorded conservatively"]
        self.assertIn("syscall_999", listed)
        self.assertIn("syscall_400", listed)

    def test_ioctls_and_device_mappings_named(self):
        trace, rec = self.probe("ioctl")
        self.assertIn(b"mmap of a fifo: ENODEV", rec.stdout)
        listed = self.info(trace)["recorded conservatively"]
        self.assertIn("ioctl 0x5499", listed)  # no direction: guessed
        self.assertIn("(by its encoding)", listed)

    def test_ptrace_by_the_program(self):
        # ckrr traces every recorded process, so the kernel refuses the program's own tracing;
        # that answer is recorded and replayed.
        trace, rec = self.probe("ptrace", native=False)
        self.assertIn(b"ptrace traceme: EPERM", rec.stdout)

    def test_asynchronous_interfaces_refused(self):
        # io_uring and userfaultfd write the program's memory behind ckrr's back: refused with
        # ENOSYS, as by a kernel built without them (programs fall back).
        trace, rec = self.probe("refused", native=False)
        self.assertEqual(rec.stdout, b"io_uring_setup: ENOSYS\nuserfaultfd: ENOSYS\nmemfd_secret: ENOSYS\n")


if __name__ == "__main__":
    unittest.main()
