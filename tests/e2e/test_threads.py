"""Threads, process trees and signals: record real multi-threaded and multi-process programs,
replay them twice, and check that each replay prints exactly what was recorded and ends with the
same status.

Programs are in tests/programs (threads_basic, spin_token, data_race, sigalrm_compute, fork_tree,
child_segv, killed_by_signal, signals_mt, blocking_mt, unix_socket_pair), plus real tools run
through a shell (sort, xz, make, python threading and multiprocessing). Where a program's output
depends on the scheduling (spin_token, data_race, sigalrm_compute), native runs are first
checked to differ: a replay that matches the recording then proves that the interleaving, and
not only the inputs, was captured.

Where a program is deterministic, its recorded output must also equal a native run's: the
recorder must not change what a correct program computes.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog

SOURCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "programs")
sys.path.insert(0, SOURCES)
from words_file import words_file  # noqa: E402

# The real interpreter: the `python3` on PATH may be a pyenv shim (a bash script that forks).
PYTHON = "/usr/bin/python3"
TIMEOUT = 300


class ThreadsTestCase(CkrrTestCase):
    """Helpers shared by the tests below (kept here, not in ckrr_testlib, so the other suites
    are untouched)."""

    def native(self, argv, **kw):
        return subprocess.run(argv, capture_output=True, timeout=TIMEOUT, **kw)

    def assert_native_varies(self, argv, attempts=30, **kw):
        """Runs argv natively up to `attempts` times until two outputs differ, so the recording
        is known to capture a choice. On a loaded 2-core machine the threads of a small racy
        program may never overlap; then this says so on stderr and the test goes on with the
        record/replay checks alone (which still fail on any difference)."""
        seen = []
        for _ in range(attempts):
            r = self.native(argv, **kw)
            self.assertEqual(r.returncode, 0,
                             f"native {argv[0]} exited {r.returncode}: {r.stderr.decode(errors='replace')}")
            if seen and r.stdout != seen[0]:
                return [*seen, r.stdout]
            seen.append(r.stdout)
        sys.stderr.write(f"note: {os.path.basename(argv[0])}: {attempts} native runs all printed "
                         f"{seen[0].decode(errors='replace')!r} (machine busy?)\n")
        return seen

    def assert_same_as_native(self, argv, rec, **kw):
        """For deterministic programs: recording must not change what the program prints."""
        nat = self.native(argv, **kw)
        self.assertEqual(rec.returncode, nat.returncode, "recorded exit status differs from native")
        self.assertEqual(rec.stdout, nat.stdout, "recorded output differs from native")

    def info_text(self, trace):
        r = self.ckrr("info", trace)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return r.stdout.decode(errors="replace")

    def info_count(self, trace, key):
        """The integer after `KEY:` at the start of a line of `ckrr info`, or a failure
        naming what was printed."""
        text = self.info_text(trace)
        m = re.search(rf"^{re.escape(key)}:\s*(\d+)", text, re.MULTILINE)
        self.assertIsNotNone(m, f"`ckrr info` has no '{key}: N' line:\n{text}")
        return int(m.group(1))

    def assert_processes_at_least(self, trace, n):
        got = self.info_count(trace, "processes")
        self.assertGreaterEqual(got, n, f"`ckrr info` lists {got} process(es), expected >= {n}:\n"
                                        f"{self.info_text(trace)}")

    def record_replay_ok(self, argv, status=0, times=2, **kw):
        """record_and_replay, then the recorded status must be `status`."""
        trace, rec = self.record_and_replay(argv, times=times, **kw)
        self.assertEqual(rec.returncode, status,
                         f"recorded exit status {rec.returncode}; stderr: {rec.stderr.decode(errors='replace')}")
        return trace, rec

    def assert_replays_from_checkpoints(self, trace, rec, blob):
        """Replay from every checkpoint to the end: status 0 and a tail of the recorded output.
        At least one checkpoint holds `blob`."""
        rows = self.ckrr("checkpoints", trace).stdout.decode().splitlines()[1:]
        cps = [int(r.split()[0]) for r in rows if r.strip()]
        found = 0
        for cid in cps:
            with open(os.path.join(trace, "checkpoints", str(cid), "manifest"), "rb") as f:
                found += blob in f.read()
            r = self.ckrr("replay", trace, "--from-checkpoint", str(cid))
            self.assertEqual(r.returncode, 0, f"from checkpoint {cid}: "
                                              f"{r.stderr.decode(errors='replace')}")
            self.assertTrue(rec.stdout.endswith(r.stdout), r.stdout)
        self.assertGreaterEqual(found, 1, f"{trace}: no checkpoint with {blob!r} in {cps}")


class OwnThreadedPrograms(ThreadsTestCase):
    def test_threads_basic(self):
        argv = [prog("threads_basic")]
        trace, rec = self.record_replay_ok(argv)
        self.assertIn(b"total 499999500000 expected 499999500000", rec.stdout)
        for i in range(4):
            self.assertIn(f"thread {i} name worker-{i} ".encode(), rec.stdout)
        self.assertNotIn(b"tid!=pid 0", rec.stdout)
        self.assert_same_as_native(argv, rec)
        self.assertGreaterEqual(self.info_count(trace, "threads"), 5)

    def test_spin_token(self):
        """Spinning without syscalls: only preemption moves the token on a recorder that runs
        one thread at a time; the replay must preempt at the same instructions."""
        self.assert_native_varies([prog("spin_token")])
        trace, rec = self.record_replay_ok([prog("spin_token"), "100"])
        self.assertRegex(rec.stdout, rb"^passes=200 waited_a=\d+ waited_b=\d+\n$")
        preemptions = self.info_count(trace, "preemptions")
        self.assertGreaterEqual(preemptions, 1, "the spinning threads must have been preempted")

    def test_data_race(self):
        self.assert_native_varies([prog("data_race")])
        trace, rec = self.record_replay_ok([prog("data_race")])
        self.assertRegex(rec.stdout, rb"^counter=\d+ of 40000\n$")

    def test_data_race_forced_preemption(self):
        """Short slices: a thread in the racy increment loop is switched only where replay can
        count its way back (a counted hit or a syscall; by registers only once the slice is
        over max slice + 1 s): whatever the recording's interleaving, every replay has it."""
        trace, rec = self.record_replay_ok([prog("data_race")], times=2)
        trace2 = self.path("forced")
        rec2 = self.ckrr("record", "-q", "--max-slice", "3ms", "-o", trace2, "--",
                         prog("data_race"))
        self.assertEqual(rec2.returncode, 0, rec2.stderr.decode(errors="replace"))
        m = re.search(r"forced (\d+)", self.info_text(trace2))
        self.assertIsNotNone(m)
        self.assertNotRegex(self.info_text(trace2), r"by registers [1-9]")
        self.assert_replays(trace2, rec2, times=2)

    def test_yield_pingpong(self):
        argv = [prog("yield_pingpong")]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(rec.stdout, b"turns=400 alternating=1\n")

    def test_process_groups_sessions_sigpipe(self):
        argv = [prog("pgroups")]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(
            rec.stdout.decode(),
            "session leader exited 0\ngroup of b is a's: 1\ngroup member a killed by signal 15\n"
            "group member b killed by signal 15\nwriter to a closed pipe killed by signal 13\n"
            "exec'd shell exited 7\n")
        self.assert_processes_at_least(trace, 6)

    def test_replay_to_an_event_of_another_thread(self):
        trace, rec = self.record_replay_ok([prog("threads_basic")], times=1)
        main_tid = None
        other = None
        for line in self.events(trace):
            f = line.split()
            if main_tid is None:
                main_tid = f[2]
            elif f[2] != main_tid and f[3] == "syscall":
                other = f
                break
        self.assertIsNotNone(other, "no event of a second thread")
        r = self.ckrr("replay", trace, "--to", other[0], "--print-state")
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertIn(f"thread: {other[2]}\n".encode(), r.stdout)

    def assert_checkpoints_equivalent(self, trace, blob, steps=(1, 5), at_least=3, most=12):
        """For every checkpoint (or `most` of them, spread over the recording, the sanitizer
        build being slow): the state printed a few events after it is the same replayed from
        it and from the start. At least one checkpoint must hold `blob` (threads/group)."""
        total = self.info_count(trace, "events")
        rows = self.ckrr("checkpoints", trace).stdout.decode().splitlines()[1:]
        cps = [(int(r.split()[0]), int(r.split()[1])) for r in rows if r.strip()]
        self.assertGreaterEqual(len(cps), at_least, f"{trace}: too few checkpoints")
        if len(cps) > most:
            cps = [cps[i * (len(cps) - 1) // (most - 1)] for i in range(most)]
        found = 0
        for cid, seq in cps:
            for k in steps:
                to = min(seq + k, total)
                a, b = self.path("a"), self.path("b")
                ra = self.ckrr("replay", trace, "--to", str(to), "--print-state", "--state-out",
                               a, "--from-checkpoint", str(cid))
                self.assertEqual(ra.returncode, 0, ra.stderr.decode(errors="replace"))
                rb = self.ckrr("replay", trace, "--to", str(to), "--print-state", "--state-out",
                               b, "--from-start")
                self.assertEqual(rb.returncode, 0, rb.stderr.decode(errors="replace"))
                with open(a) as fa, open(b) as fb:
                    self.assertEqual(fa.read(), fb.read(),
                                     f"{trace}: state at {to} from checkpoint {cid} differs")
            with open(os.path.join(trace, "checkpoints", str(cid), "manifest"), "rb") as f:
                found += blob in f.read()
        self.assertGreaterEqual(found, 1, f"{trace}: no checkpoint with {blob!r}")

    def test_checkpoints_of_processes(self):
        """A pipeline of three processes checkpointed as a whole (one checkpoint per process,
        grouped; processes waiting in pipe reads and writes are stopped and rewound)."""
        trace = self.path("pipe")
        argv = ["sh", "-c", "seq 1 400000 | sort -r | head -3"]
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "3ms", "-o", trace, "--", *argv)
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        self.assert_checkpoints_equivalent(trace, b"group", steps=(1, 7), at_least=2)
        self.assert_replays(trace, rec, times=1)

    def test_checkpoints_of_processes_sharing_memory(self):
        """Parent and child pass turns through process-shared semaphores in a MAP_SHARED page:
        restored as a group, the two processes share that page again."""
        trace = self.path("shm")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "10ms", "-o", trace, "--",
                        prog("shm_pair"))
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        self.assertIn(b"parent saw 59060, child exit 0\n", rec.stdout)
        self.assert_replays_from_checkpoints(trace, rec, b"group")
        self.assert_checkpoints_equivalent(trace, b"group", steps=(1, 5), at_least=2)

    def test_checkpoints_of_threads(self):
        """Checkpoints taken while several threads live (some waiting in read, poll, futex,
        nanosleep): the state at an event is the same replayed from the start and from each
        checkpoint before it."""
        for name in ("blocking_mt", "threads_basic"):
            trace = self.path(name)
            rec = self.ckrr("record", "-q", "--checkpoint-interval", "2ms", "-o", trace, "--",
                            prog(name))
            self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
            self.assert_checkpoints_equivalent(trace, b"threads")
            self.assert_replays(trace, rec, times=1)

    def test_checkpoint_keeps_alternate_stack_of_waiting_thread(self):
        """A thread with its own sigaltstack, saved while it sleeps (the recorder cannot ask the
        kernel then): replayed from every checkpoint, its handlers still run on that stack."""
        trace = self.path("altstack")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "2ms", "-o", trace, "--",
                        prog("altstack_mt"))
        self.assertEqual(rec.returncode, 0, rec.stdout + rec.stderr)
        self.assertIn(b"40 of 40 on the alternate stack", rec.stdout)
        rows = self.ckrr("checkpoints", trace).stdout.decode().splitlines()[1:]
        cps = [int(r.split()[0]) for r in rows if r.strip()]
        def holds_threads(c):
            with open(os.path.join(trace, "checkpoints", str(c), "manifest"), "rb") as f:
                return b"threads" in f.read()
        with_threads = [c for c in cps if holds_threads(c)]
        self.assertGreaterEqual(len(with_threads), 3, f"checkpoints with two threads: {cps}")
        for cid in with_threads:
            # Output from the checkpoint on: a tail of the recorded one (a handler off the
            # stack writes a shorter line, a divergence).
            r = self.ckrr("replay", trace, "--from-checkpoint", str(cid))
            self.assertEqual(r.returncode, 0,
                             f"from checkpoint {cid}: {r.stderr.decode(errors='replace')}")
            self.assertTrue(r.stdout.endswith(b"40 of 40 on the alternate stack\n"), r.stdout)
            self.assertTrue(rec.stdout.endswith(r.stdout), r.stdout)
            self.assertNotIn(b"off", r.stdout)

    def test_exec_from_a_process_with_threads(self):
        """execve while other threads live (one blocked in read, one sleeping): the kernel ends
        them, and a caller that is not the leader takes the process's pid as its tid. Both
        callers, replayed twice and from every checkpoint."""
        for mode in ("thread", "leader"):
            argv = [prog("exec_mt"), mode]
            trace, rec = self.record_replay_ok(argv, name=f"exec-{mode}")
            self.assertIn(b"after exec: same pid yes, tid is pid yes, threads 1\n", rec.stdout)
            self.assert_same_as_native(argv, rec)
            self.assertGreaterEqual(self.info_count(trace, "threads"), 3)
            trace = self.path(f"exec-{mode}-cp")
            rec = self.ckrr("record", "-q", "--checkpoint-interval", "1ms", "-o", trace, "--",
                            *argv)
            self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
            rows = self.ckrr("checkpoints", trace).stdout.decode().splitlines()[1:]
            cps = [int(r.split()[0]) for r in rows if r.strip()]
            self.assertGreaterEqual(len(cps), 2, f"{mode}: checkpoints {cps}")
            for cid in cps:
                r = self.ckrr("replay", trace, "--from-checkpoint", str(cid))
                self.assertEqual(r.returncode, 0, f"{mode}, from checkpoint {cid}: "
                                                  f"{r.stderr.decode(errors='replace')}")
                self.assertTrue(rec.stdout.endswith(r.stdout), r.stdout)

    def test_sleeps_interrupted_by_an_ignored_sigchld(self):
        """A child exits while its parent sleeps (nanosleep, clock_nanosleep, poll with a
        timeout): traced, the ignored SIGCHLD interrupts each, and the call is restarted."""
        argv = [prog("sleep_sigchld")]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(rec.stdout, b"nanosleep 0, child 3\nclock_nanosleep 0, child 3\n"
                                     b"poll 0, child 3\n")
        self.assert_processes_at_least(trace, 4)

    def test_checkpoints_of_a_child_do_not_signal_its_parent(self):
        """The child is checkpointed every 2 ms while its parent counts SIGCHLDs: the parent
        still gets exactly one, its child's exit (the copy-on-write copy that a checkpoint
        makes would have been the parent's child too)."""
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "2ms", "-o", trace, "--",
                        prog("sigchld_count"))
        self.assertEqual((rec.returncode, rec.stdout), (0, b"sigchld=1\n"),
                         rec.stderr.decode(errors="replace"))
        self.assertGreaterEqual(self.info_count(trace, "checkpoints"), 3)
        self.assert_replays(trace, rec, times=1)

    def test_debugger_serves_processes(self):
        """gdb on a process tree recorded with checkpoints (test_gdb_threads.py has the rest):
        the first process is debugged, the others replay alongside, their signals are theirs."""
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "1ms", "-o", trace, "--",
                        prog("pgroups"))
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        self.assert_replays(trace, rec, times=1)
        if not shutil.which("gdb"):
            self.skipTest("gdb is not installed")
        r = self.ckrr("debug", trace, "--batch", "continue")
        out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, out)
        self.assertNotIn("received signal", out)  # SIGTERM went to another process
        self.assertIn("_exit", out)  # stopped at the program's end

    def test_posix_timer_and_timerfd(self):
        self.assert_native_varies([prog("posix_timer")])
        trace, rec = self.record_replay_ok([prog("posix_timer")])
        # At least 30: signals held back while the loop ran (longer on a loaded machine) are
        # delivered at the next syscall, after the loop has seen 30.
        self.assertRegex(rec.stdout, rb"^fired=(?:[3-9]\d|\d{3,}) value=77 iterations=\d+ "
                                     rb"x=[0-9a-f]{16} timerfd=8/1\n$")

    def test_robust_mutex_owner_died(self):
        argv = [prog("robust_owner_died")]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(rec.stdout, b"lock after the owner died: EOWNERDEAD\nrelocked: 0\n")

    def test_sigint_from_the_terminal(self):
        """^C at a terminal: SIGINT to the whole foreground process group. ckrr ignores it
        itself; the program's handler gets it, and so does its replay."""
        trace = self.path("t")
        p = subprocess.Popen([CKRR, "record", "-q", "-o", trace, "--",
                              prog("sigint_wait")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        first = p.stdout.readline()
        self.assertTrue(first.startswith(b"ready "), first)
        os.killpg(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, err.decode(errors="replace"))
        self.assertEqual(out, b"got signal 2\n")
        r = self.ckrr("replay", trace)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout, first + out)

    def test_sigalrm_compute(self):
        """Asynchronous signals (a 1 ms interval timer) land in a loop with no syscalls."""
        self.assert_native_varies([prog("sigalrm_compute")])
        trace, rec = self.record_replay_ok([prog("sigalrm_compute")])
        self.assertRegex(rec.stdout, rb"^handler_count=\d+ iterations=\d+ checksum=[0-9a-f]{16}\n$")

    def test_fork_tree(self):
        argv = [prog("fork_tree")]
        trace, rec = self.record_replay_ok(argv)
        out = rec.stdout.decode()
        self.assertIn("child 0 exited 3\nchild 1 killed by signal 15\nchild 2 exited 0\n", out)
        self.assertIn("vfork+execve /bin/true exited 0", out)
        self.assertIn("hello from posix_spawn\n", out)
        self.assertIn("sigchld delivered >= 1", out)
        self.assert_same_as_native(argv, rec)
        # The parent, three forked children, the vfork child, the posix_spawn child.
        self.assert_processes_at_least(trace, 6)

    def test_child_segv(self):
        argv = [prog("child_segv")]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(rec.stdout, b"forking\nchild killed by signal 11\n")
        self.assert_processes_at_least(trace, 2)

    def test_killed_by_signal(self):
        """The recorded program itself dies by SIGTERM: record and replay both exit 128 + 15."""
        trace, rec = self.record_replay_ok([prog("killed_by_signal")], status=143)
        self.assertEqual(rec.stdout, b"about to be terminated\n")

    def test_signals_mt(self):
        argv = [prog("signals_mt")]
        trace, rec = self.record_replay_ok(argv)
        out = rec.stdout.decode()
        for want in ("segv: handled, code SEGV_MAPERR addr 0x10",
                     "sigfpe: handled, code FPE_INTDIV",
                     "sigaltstack: handler ran 1 time(s), on the alternate stack 1",
                     "blocked: ran 0 while blocked, pending 1, ran 1 after unblocking",
                     "pthread_kill: handled in the target thread 1, not in main 1",
                     "read with SA_RESTART: result 5 'hello' handler ran in reader 1",
                     "read without SA_RESTART: result -1 Interrupted system call handler ran in reader 1",
                     "signalfd: read 128 bytes, signal 10, from self 1, handler ran 0",
                     "sigwaitinfo: signal 12, code SI_QUEUE, value 42, from self 1",
                     "alarm: pause returned -1 (Interrupted system call), handler ran 1"):
            self.assertIn(want, out)
        self.assert_same_as_native(argv, rec)

    def test_slow_mmap_while_others_wait(self):
        """A mapping of /dev/zero that takes milliseconds (MAP_POPULATE) while another thread
        is ready: replay makes it from its event (from the recorded result, not the app's fd,
        which replay emulates), so the recorder must not let others run meanwhile."""
        argv = [prog("slow_mmap_mt")]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(rec.stdout, b"".join(b"map %d: 67108864 bytes, sum 0000000000000000\n"
                                              % i for i in range(4)))
        self.assert_same_as_native(argv, rec)
        enters = [l for l in self.events(trace) if " enter mmap" in l]
        self.assertEqual(enters, [], "replay makes mmap at its event: no `enter` for it")

    def test_blocking_mt(self):
        argv = [prog("blocking_mt")]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(rec.stdout.decode(),
                         "read: 6 bytes 'piped!'\n"
                         "nanosleep(20ms): 0\n"
                         "poll(eventfd): 1 revents POLLIN, read 8 value 7\n"
                         "pthread_cond_timedwait: signalled, value 99\n"
                         "work done 1\n")

    def test_unix_socket_pair(self):
        argv = [prog("unix_socket_pair")]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(rec.stdout, b"messages 100, bytes sent 3200, received 3200, "
                                     b"sum of replies 9900, child exit 0\n")
        self.assert_processes_at_least(trace, 2)


# Long enough (100 tasks of 2 ms) for checkpoints while the workers live.
PY_POOL_SLEEPY = """\
import multiprocessing
import time


def f(x):
    time.sleep(0.002)
    return x * x + 1


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        print(sum(pool.map(f, range(100), chunksize=1)))
"""

PY_POOL = """\
import multiprocessing

def f(x):
    return x * x + 1

if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        print(pool.map(f, range(20)))
"""


class ShellsAndTools(ThreadsTestCase):
    def test_shell_pipeline(self):
        argv = ["sh", "-c", "seq 1 100000 | sort -r | head -3"]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(rec.stdout, b"99999\n99998\n99997\n")
        self.assert_processes_at_least(trace, 4)  # sh, seq, sort, head

    def test_bash_pipelines_one_after_another(self):
        # Each pipeline's SIGCHLD arrives while bash has it blocked and is placed where bash
        # unblocks it. The second was never found again in replay: the stack digest of the
        # point covered dead bytes below rsp holding the first handler's signal frame.
        for n, script in enumerate(("true | true; true | true",
                       "for i in 1 2 3; do echo $i | cat; done",
                       "sleep 0.1 & sleep 0.05 & wait; echo done; echo 1 | cat; echo 2 | cat")):
            with self.subTest(script=script):
                nat = self.run_native(["/bin/bash", "-c", script])
                trace, rec = self.record_replay_ok(["/bin/bash", "-c", script], name=f"bash{n}")
                self.assertEqual(rec.stdout, nat.stdout)

    def test_xz_threads(self):
        if not shutil.which("xz") or not shutil.which("sha256sum"):
            self.skipTest("xz or sha256sum missing")
        data = self.path("words.txt")
        words_file(data, 2 * 1024 * 1024)
        # --block-size: with one 2 MiB block xz -T2 would start only one worker thread.
        argv = ["sh", "-c", f"xz -T2 --block-size=1MiB -c {data} | sha256sum"]
        trace, rec = self.record_replay_ok(argv)
        self.assertRegex(rec.stdout, rb"^[0-9a-f]{64}  -\n$")
        self.assert_same_as_native(argv, rec)
        self.assert_processes_at_least(trace, 3)  # sh, xz, sha256sum

    def test_make_j2(self):
        if not shutil.which("make"):
            self.skipTest("make missing")
        work = self.path("make")
        os.mkdir(work)
        parts = [f"part{i}.txt" for i in range(6)]
        rules = [f"all: {' '.join(parts)}\n\tcat {' '.join(parts)}\n"]
        for i, p in enumerate(parts):
            rules.append(f"{p}:\n\techo 'line {i} of {p}' > {p}\n\techo 'more {i}' >> {p}\n")
        with open(os.path.join(work, "Makefile.generated"), "w") as f:
            f.write("\n".join(rules))
        argv = ["make", "-j2", "-f", "Makefile.generated"]

        def clean(_i):  # replay must not need make's outputs: remove them
            for p in parts:
                if os.path.exists(os.path.join(work, p)):
                    os.remove(os.path.join(work, p))

        clean(0)
        trace, rec = self.record_replay_ok(argv, cwd=work, between=clean)
        out = rec.stdout.decode()
        for i, p in enumerate(parts):
            self.assertIn(f"line {i} of {p}\nmore {i}\n", out)
        self.assert_processes_at_least(trace, 1 + 6 + 1)  # make, a shell per rule, cat

    def test_python_threads(self):
        argv = [PYTHON, os.path.join(SOURCES, "py_threads.py")]
        trace, rec = self.record_replay_ok(argv)
        lines = rec.stdout.decode().splitlines()
        self.assertEqual(len(lines), 8)
        self.assertEqual([l.split()[0] for l in lines], [str(i) for i in range(8)])
        self.assert_same_as_native(argv, rec)
        self.assertGreaterEqual(self.info_count(trace, "threads"), 9)

    def c_project(self):
        """A directory with five C files and a Makefile building `prog` from them."""
        if not shutil.which("make") or not shutil.which("gcc"):
            self.skipTest("make or gcc missing")
        d = self.path("proj")
        os.makedirs(d)
        for i, n in enumerate("abcd"):
            with open(os.path.join(d, n + ".c"), "w") as f:
                f.write(f"int f_{n}(int x) {{ return x * 3 + {i}; }}\n")
        with open(os.path.join(d, "main.c"), "w") as f:
            f.write("#include <stdio.h>\nint f_a(int),f_b(int),f_c(int),f_d(int);\n"
                    "int main(void) { printf(\"%d\\n\", f_a(1)+f_b(2)+f_c(3)+f_d(4)); return 0; }\n")
        with open(os.path.join(d, "Makefile"), "w") as f:
            f.write("prog: a.o b.o c.o d.o main.o\n\tgcc -o prog $^\n"
                    "%.o: %.c\n\tgcc -O2 -c $< -o $@\n")
        return d

    def test_make_j2_from_checkpoints(self):
        """make -j2 running gcc: a gcc driver waits in vfork until its child execs, and its
        call's end is written before a checkpoint, so processes are checkpointed as a group
        while the build runs; replay goes on from each checkpoint, and from the start (the
        SIGCHLD that ends make's pselect6 must come right after it in the log, whatever a
        checkpoint wrote out early)."""
        d = self.c_project()
        trace = self.path("t")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "20ms", "-o", trace, "--",
                        "make", "-s", "-j2", "-C", d)
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        self.assert_replays(trace, rec, times=1)
        self.assert_replays_from_checkpoints(trace, rec, b"group")

    def test_make_j2_compiling_c(self):
        """make starting gcc (cc1, as, collect2, ld) two at a time, with its jobserver pipe and
        SIGCHLD handler waiting in pselect6."""
        d = self.c_project()
        argv = ["make", "-s", "-j2", "-C", d]
        trace = self.path("t")
        rec = self.record(trace, argv)
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        self.assertEqual(subprocess.run([os.path.join(d, "prog")], capture_output=True).stdout,
                         b"36\n")

        def clean(_):
            for n in os.listdir(d):
                if n.endswith(".o") or n == "prog":
                    os.unlink(os.path.join(d, n))
        self.assert_replays(trace, rec, times=2, between=clean)
        self.assert_processes_at_least(trace, 10)

    def test_sigpipe_in_a_pipeline(self):
        argv = ["sh", "-c", "yes | head -2; echo done"]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(rec.stdout, b"y\ny\ndone\n")

    def test_python_multiprocessing(self):
        script = self.path("py_pool.py")
        with open(script, "w") as f:
            f.write(PY_POOL)
        argv = [PYTHON, script]
        trace, rec = self.record_replay_ok(argv)
        self.assertEqual(rec.stdout, (str([x * x + 1 for x in range(20)]) + "\n").encode())
        self.assert_processes_at_least(trace, 3)  # the parent and two workers

    def test_python_multiprocessing_from_checkpoints(self):
        """The pool's processes share /dev/shm semaphores: its checkpoints restore the whole
        group sharing them again, and replay goes on from each of them."""
        script = self.path("py_pool_sleepy.py")
        with open(script, "w") as f:
            f.write(PY_POOL_SLEEPY)
        trace = self.path("pool")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "50ms", "-o", trace, "--",
                        PYTHON, script)
        self.assertEqual(rec.stdout, b"328450\n")
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        self.assert_replays_from_checkpoints(trace, rec, b"group")


if __name__ == "__main__":
    unittest.main()
