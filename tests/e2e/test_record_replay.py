"""Record real programs once, replay them twice with the world changed in between: the replay
must print exactly what was recorded and end with the same status. Where a program is
nondeterministic, two native runs are checked to differ, proving the input was captured."""
import os
import shutil
import time
import unittest

from ckrr_testlib import CkrrTestCase, prog


def tick(_i):
    time.sleep(1.05)  # time moves on between replays


class RecordReplayOwnPrograms(CkrrTestCase):
    def test_time_random_pid(self):
        a = self.run_native([prog("time_random")]).stdout
        b = self.run_native([prog("time_random")]).stdout
        self.assertNotEqual(a, b, "native runs should differ")
        trace, rec = self.record_and_replay([prog("time_random")], between=tick)
        self.assertIn(b"rdtscp", rec.stdout)
        kinds = {line.split()[3] for line in self.events(trace)}
        self.assertIn("rdtsc", kinds)
        self.assertIn("exec", kinds)

    def test_static_binary(self):
        self.record_and_replay([prog("time_random_static")], between=tick)

    def test_files_changed_after_recording(self):
        data = self.path("data.txt")
        d = self.path("dir")
        os.mkdir(d)
        with open(data, "w") as f:
            f.write("first line\n" + "x" * 10000)
        open(os.path.join(d, "a"), "w").close()

        def change(i):
            with open(data, "w") as f:
                f.write(f"changed {i}\n")
            open(os.path.join(d, f"new{i}"), "w").close()

        trace, rec = self.record_and_replay([prog("files"), data, d], between=change)
        self.assertIn(b"first line", rec.stdout)

    def test_crash_reproduced(self):
        trace, rec = self.record_and_replay([prog("crash")])
        self.assertEqual(rec.returncode, 128 + 11)
        sig = [l for l in self.events(trace, "--kind", "signal")]
        self.assertEqual(len(sig), 1)
        self.assertIn("SIGSEGV", sig[0])
        # The state at the fault shows the faulting function.
        n = sig[0].split()[0]
        st = self.ckrr("replay", trace, "--to", n, "--print-state")
        self.assertEqual(st.returncode, 0, st.stderr)
        self.assertRegex(st.stdout.decode(), r"rip: 0x[0-9a-f]+ crash_here\+0x")

    def test_signals(self):
        trace, rec = self.record_and_replay([prog("signals")], between=tick)
        self.assertEqual(rec.returncode, 7)
        self.assertIn(b"usr1 1 usr2 10 sigpipe 1 write -1 Broken pipe segv 1", rec.stdout)

    def test_sockets_loopback(self):
        a = self.run_native([prog("sockets")]).stdout
        b = self.run_native([prog("sockets")]).stdout
        self.assertNotEqual(a, b, "ephemeral ports should differ between native runs")
        trace, rec = self.record_and_replay([prog("sockets")])
        self.assertIn(b"hello over loopback", rec.stdout)

    def test_executable_replaced_after_recording(self):
        exe = self.path("app")
        shutil.copy(prog("time_random"), exe)
        trace, rec = self.record_and_replay([exe], times=1)

        def replace(_i):  # a different program now sits at the recorded path
            os.remove(exe)
            shutil.copy(prog("branch"), exe)

        if os.geteuid() != 0:
            self.skipTest("replaying a changed executable bind-mounts the saved copy: needs root")
        self.assert_replays(trace, rec, times=1, between=replace)

    def test_avx_state(self):
        self.record_and_replay([prog("avx_state")], between=tick)

    def test_exit_status_passed_through(self):
        rec = self.record(self.path("t"), [prog("signals")])
        self.assertEqual(rec.returncode, 7)
        crash = self.record(self.path("c"), [prog("crash")])
        self.assertEqual(crash.returncode, 139)


class RecordReplayRealPrograms(CkrrTestCase):
    """Programs nobody here wrote."""

    def test_python(self):
        code = ("import random,time,os,uuid; print(random.random(), time.time(), os.getpid(), "
                "os.urandom(8).hex(), uuid.uuid4())")
        argv = ["/usr/bin/python3", "-c", code]
        self.assertNotEqual(self.run_native(argv).stdout, self.run_native(argv).stdout)
        self.record_and_replay(argv, between=tick)

    def test_date(self):
        self.record_and_replay(["date", "+%s%N"], between=tick)

    def test_od_urandom(self):
        argv = ["od", "-An", "-N8", "-tx8", "/dev/urandom"]
        self.assertNotEqual(self.run_native(argv).stdout, self.run_native(argv).stdout)
        self.record_and_replay(argv)

    def test_cat_proc_self_stat(self):
        argv = ["cat", "/proc/self/stat"]
        self.assertNotEqual(self.run_native(argv).stdout, self.run_native(argv).stdout)
        self.record_and_replay(argv)

    def test_sqlite3(self):
        argv = ["sqlite3", ":memory:",
                "select random(), hex(randomblob(8)), strftime('%s','now')"]
        self.assertNotEqual(self.run_native(argv).stdout, self.run_native(argv).stdout)
        self.record_and_replay(argv, between=tick)

    def test_perl(self):
        argv = ["perl", "-e", 'print rand(), " ", time, " ", $$, "\\n"']
        self.assertNotEqual(self.run_native(argv).stdout, self.run_native(argv).stdout)
        self.record_and_replay(argv, between=tick)

    def test_sha256sum_of_changed_file(self):
        f = self.path("payload")
        with open(f, "wb") as fh:
            fh.write(os.urandom(100000))

        def change(i):
            with open(f, "wb") as fh:
                fh.write(os.urandom(1000 + i))

        trace, rec = self.record_and_replay(["sha256sum", f], between=change)
        self.assertEqual(len(rec.stdout.split()[0]), 64)

    def test_ls_l_after_dir_changed(self):
        d = self.path("lsdir")
        os.mkdir(d)
        for n in ("one", "two"):
            open(os.path.join(d, n), "w").close()

        def change(i):
            open(os.path.join(d, f"added{i}"), "w").close()
            os.remove(os.path.join(d, "one")) if i == 0 else None

        trace, rec = self.record_and_replay(["ls", "-l", d], between=change)
        self.assertIn(b"one", rec.stdout)

    def test_more_everyday_programs(self):
        data = self.path("nums.txt")
        with open(data, "w") as f:
            f.write("".join(f"{i}\n" for i in range(1, 20001)))
        commands = [
            ["xz", "-c", data], ["gzip", "-c", data], ["grep", "-c", "7", data],
            ["awk", "{s+=$1} END {print s}", data], ["sort", "-r", data], ["md5sum", data],
            ["tar", "cf", "-", data], ["stat", data], ["df", "-h", "/"], ["ps"], ["uname", "-a"],
            ["id"], ["du", "-s", "/usr/share/doc"], ["sed", "s/1/x/", data], ["cut", "-c1", data],
            ["cp", data, self.path("copy.txt")], ["date", "-R"], ["find", "/etc", "-maxdepth", "1"],
            ["openssl", "rand", "-hex", "16"],
        ]
        for argv in commands:
            if not shutil.which(argv[0]):
                continue
            with self.subTest(program=argv[0]):
                self.record_and_replay(argv, name="t-" + argv[0], times=1)


if __name__ == "__main__":
    unittest.main()
