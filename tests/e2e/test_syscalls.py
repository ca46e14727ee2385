"""Breadth: one small probe per group of syscalls (tests/programs/syscall_groups.c), each run
natively, recorded and replayed twice; the outputs must be byte-equal. Calls ckrr does not know
(invalid numbers, numbers newer than its table, undescribed ioctls) are recorded, not refused,
and `ckrr info` names the ones recorded conservatively."""
import os
import re
import unittest

from ckrr_testlib import CkrrTestCase, prog

# Groups whose output is the same natively and under ckrr.
NATIVE_GROUPS = ["sysv", "mqueue", "pidfd", "splice", "mmsg", "xattr", "notify", "fds", "sched",
                 "arch", "admin", "sandbox", "namespaces", "mountapi", "bpf", "ioctl", "unknown"]


class ProbeCase(CkrrTestCase):
    PROGRAM = None  # a probe program taking GROUP DIR

    def probe(self, group, native=True):
        """Runs one group natively (unless native=False), records it and replays it twice;
        returns (trace, recording)."""
        work = self.path("work-" + group)
        os.mkdir(work)
        nat = None
        if native:
            nat = self.run_native([prog(self.PROGRAM), group, work])
            self.assertEqual(nat.returncode, 0, nat.stderr)
            for f in os.listdir(work):
                os.remove(os.path.join(work, f))
        trace, rec = self.record_and_replay([prog(self.PROGRAM), group, work], name=group)
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        if nat is not None:
            self.assertEqual(rec.stdout, nat.stdout, f"{group}: the recording differs from a native run")
        return trace, rec


    def record_with_checkpoints(self, group):
        """Records one group with a checkpoint every 50 ms; returns (trace, recording)."""
        work = self.path("work-" + group)
        os.mkdir(work)
        trace = self.path(group)
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "50ms", "-o", trace, "--",
                        prog(self.PROGRAM), group, work)
        self.assertEqual(rec.returncode, 0, rec.stderr)
        return trace, rec


class SyscallGroups(ProbeCase):
    PROGRAM = "syscall_groups"

    def test_groups_like_native(self):
        for group in NATIVE_GROUPS:
            with self.subTest(group=group):
                self.probe(group)

    def test_sysv_shared_memory_from_checkpoints(self):
        # A restored segment is plain shared memory: shmdt unmaps it, a new attach gets the
        # bytes the recording saw.
        trace, rec = self.record_with_checkpoints("sysv_checkpoints")
        self.assertIn(b"attached again: child wrote", rec.stdout)
        self.assert_replays(trace, rec, times=1)
        rows = self.ckrr("checkpoints", trace).stdout.decode().splitlines()[1:]
        cps = [int(r.split()[0]) for r in rows if r.strip()]
        self.assertTrue(cps)
        for cid in cps:
            r = self.ckrr("replay", trace, "--from-checkpoint", str(cid))
            self.assertEqual(r.returncode, 0, f"from checkpoint {cid}: {r.stderr.decode(errors='replace')}")
            self.assertTrue(rec.stdout.endswith(r.stdout), r.stdout)

    def test_bpf_lookup_through_a_pointer_in_its_attributes(self):
        # The kernel writes the looked-up value through a pointer inside union bpf_attr:
        # captured conservatively, one level down, and named in ckrr info.
        trace, rec = self.probe("bpf")
        if b"map create: ok" not in rec.stdout:
            self.skipTest("no bpf maps here: " + rec.stdout.decode())
        self.assertIn(b"value: 1234abcd", rec.stdout)
        self.assertIn("bpf command 1", self.info(trace)["recorded conservatively"])

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
        # The recorded program's parent is ckrr, so its TRACEME is refused (EPERM, as under any
        # tracer); tracing a child or thread of the recording is answered by ckrr.
        trace, rec = self.probe("ptrace", native=False)
        self.assertIn(b"ptrace traceme: EPERM\nptrace seize child: ok\n", rec.stdout)

    def test_strace_follows_a_forked_child(self):
        # strace -f under ckrr record: ckrr answers strace's ptrace itself (syscall stops, the
        # fork event and the auto-attached child, exit events): strace's log lists the child's
        # calls, and replay prints it byte for byte (strace writes it to stderr, replayed).
        out = self.path("written")
        argv = ["/usr/bin/strace", "-f", prog("fork_file_writer"), out]
        trace = self.path("strace")
        rec = self.record(trace, argv)
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        self.assertEqual(rec.stdout, b"child exited 0\n")
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"written by the child\n")
        log = rec.stderr.decode(errors="replace")
        self.assertRegex(log, r"\[pid +\d+\] openat\(AT_FDCWD, \"" + re.escape(out) + r"\"")
        self.assertRegex(log, r"\[pid +\d+\] write\(3, \"written by the child\\n\", 21\) = 21")
        self.assertRegex(log, r"\[pid +\d+\] \+\+\+ exited with 0 \+\+\+")
        self.assertIn("clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID", log)
        self.assertRegex(log, r"\nexit_group\(0\) += \?\n\+\+\+ exited with 0 \+\+\+\n$")
        self.assertNotIn("not emulated", log)
        self.assertEqual(self.info(trace)["complete"], "yes")
        os.unlink(out)
        for i in range(2):
            rep = self.ckrr("replay", trace)
            self.assertEqual(rep.returncode, 0, rep.stderr.decode(errors="replace"))
            self.assertEqual(rep.stdout, rec.stdout)
            self.assertEqual(rep.stderr, rec.stderr, f"replay {i}: strace's log differs")
        # The same calls of the child as natively (pids and addresses aside).
        nat = self.run_native(argv)
        native_child = [l.split("] ", 1)[1] for l in nat.stderr.decode().splitlines()
                        if l.startswith("[pid") and ("openat" in l or "write(3" in l)]
        ckrr_child = [l.split("] ", 1)[1] for l in log.splitlines()
                      if l.startswith("[pid") and ("openat" in l or "write(3" in l)]
        def calls(lines):  # each call without its result (a line may be cut by another pid's)
            return [c.split(" <unfinished")[0].split(") = ")[0] for c in lines
                    if "resumed" not in c]
        self.assertEqual(calls(ckrr_child), calls(native_child))

    def test_strace_of_threads_and_exec(self):
        # Threads of a traced process are held for strace after an `enter` (replay must know
        # each reached its call while others ran); an exec in a process with threads ends the
        # others as exits and reports the exec with the former tid. Replayed byte for byte.
        for name in ("threads_basic", "exec_mt"):
            with self.subTest(name):
                nat = self.run_native([prog(name)])
                trace = self.path("strace-" + name)
                rec = self.record(trace, ["/usr/bin/strace", "-f", prog(name)])
                self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace")[-2000:])
                self.assertEqual(rec.stdout, nat.stdout)
                log = rec.stderr.decode(errors="replace")
                self.assertRegex(log, r"\+\+\+ exited with 0 \+\+\+\n$")
                self.assertNotIn("wait4(__WALL)", log)
                rep = self.ckrr("replay", trace)
                self.assertEqual(rep.returncode, 0, rep.stderr.decode(errors="replace")[-2000:])
                self.assertEqual(rep.stdout, rec.stdout)
                self.assertEqual(rep.stderr, rec.stderr, "strace's log differs in replay")

    def test_gdb_run_breakpoint_backtrace_continue(self):
        # gdb's `run` under ckrr record: the child's PTRACE_TRACEME, its exec SIGTRAP stops,
        # breakpoints written through /proc/PID/mem, the int3's signal-delivery stop, rip
        # rewound with SETREGS, displaced stepping (SINGLESTEP), SIGCHLD waking gdb's event
        # loop. gdb prints the hit, the backtrace and the program's output as natively (the
        # pid aside), and replay prints it byte for byte.
        argv = ["gdb", "-batch", "-nx", "-ex", "break target", "-ex", "run", "-ex", "bt",
                "-ex", "continue", "-ex", "continue", "-ex", "continue", prog("gdb_run_target")]
        def gdb_lines(out):  # the inferior's pid differs from run to run
            return re.sub(rb"process \d+", b"process N", out)
        nat = self.run_native(argv)
        self.assertIn(b"Breakpoint 1, target (x=x@entry=1)", nat.stdout)
        self.assertIn(b"target(1) = 3\n\nBreakpoint 1, target (x=x@entry=2)", nat.stdout)
        trace = self.path("gdb")
        rec = self.record(trace, argv)
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        self.assertEqual(gdb_lines(rec.stdout), gdb_lines(nat.stdout))
        self.assertIn(b"#1  0x", rec.stdout)
        self.assertIn(b"exited normally]", rec.stdout)
        info = self.info(trace)
        self.assertEqual(info["complete"], "yes")
        self.assertNotIn("not emulated", info)
        for i in range(2):
            rep = self.ckrr("replay", trace)
            self.assertEqual(rep.returncode, 0, rep.stderr.decode(errors="replace"))
            self.assertEqual(rep.stdout, rec.stdout, f"replay {i}: gdb's output differs")

    def test_gdb_next_finish_and_a_call_of_the_program(self):
        # Stepping (next, finish: temporary breakpoints, single steps), a watchpoint on a
        # register (single steps), and `print target(5)`: gdb calls the program's function,
        # setting registers and the XSAVE state and putting them back (SETREGS, SETREGSET of
        # NT_X86_XSTATE, SETSIGINFO). As natively, and replayed byte for byte.
        argv = ["gdb", "-batch", "-nx", "-ex", "break target", "-ex", "run", "-ex", "next",
                "-ex", "finish", "-ex", "info registers rip", "-ex", "watch $rsp", "-ex",
                "delete", "-ex", "print target(5)", "-ex", "continue", prog("gdb_run_target")]
        def gdb_lines(out):
            return re.sub(rb"process \d+", b"process N", out)
        nat = self.run_native(argv)
        self.assertIn(b"Value returned is $1 = 6\n", nat.stdout)
        self.assertIn(b"$2 = 15\n", nat.stdout)
        trace = self.path("gdb")
        rec = self.record(trace, argv)
        self.assertEqual(rec.returncode, 0, rec.stderr.decode(errors="replace"))
        self.assertEqual(gdb_lines(rec.stdout), gdb_lines(nat.stdout))
        self.assertEqual(rec.stderr, nat.stderr)
        self.assertNotIn("not emulated", self.info(trace))
        rep = self.ckrr("replay", trace)
        self.assertEqual(rep.returncode, 0, rep.stderr.decode(errors="replace"))
        self.assertEqual(rep.stdout, rec.stdout)

    def test_small_debugger_with_traceme_breakpoints_and_setregs(self):
        # tests/programs/app_breakpoints.c: TRACEME + SIGSTOP, an int3 planted with POKETEXT,
        # at each hit SETREGS (rip rewound, once an argument changed), the code put back, a
        # single step, the breakpoint planted again; SIGUSR1 stops suppressed then passed on;
        # the tracer waits in sigsuspend for SIGCHLD. The same as natively, and replayed (the
        # tracee replays the writes made into it).
        nat = self.run_native([prog("app_breakpoints")])
        self.assertEqual(nat.returncode, 0, nat.stderr)
        self.assertIn(b"child: target(2) = 300\n", nat.stdout)
        self.assertIn(b"child exited 0; breakpoint hits 3; SIGCHLD seen: yes", nat.stdout)
        trace, rec = self.record_and_replay([prog("app_breakpoints")])
        self.assertEqual(rec.stdout, nat.stdout)
        self.assertNotIn("not emulated", self.info(trace))

    def test_tracer_counting_syscall_stops(self):
        # tests/programs/app_syscall_trace.c: PTRACE_SEIZE, INTERRUPT, PTRACE_SYSCALL stops
        # told apart by PTRACE_GET_SYSCALL_INFO, registers at entry and exit, the exit event,
        # 3 single steps, a syscall's result changed by PTRACE_SETREGS (the child exits 9 by
        # it): the same as natively, and replayed (the changed result comes from the log).
        nat = self.run_native([prog("app_syscall_trace")])
        self.assertEqual(nat.returncode, 0, nat.stderr)
        self.assertIn(b"getpid: 5 entries (5 with orig_rax and -ENOSYS), 5 exits (5 with the pid)",
                      nat.stdout)
        self.assertIn(b"single steps: 3 (rip moved, TRAP_TRACE: 3); getppid result set: 1",
                      nat.stdout)
        self.assertIn(b"child exited 9", nat.stdout)
        trace, rec = self.record_and_replay([prog("app_syscall_trace")])
        self.assertEqual(rec.stdout, nat.stdout)
        self.assertNotIn("not emulated", self.info(trace))

    def test_ptrace_of_the_main_thread_like_leak_sanitizer(self):
        # tests/programs/app_ptrace.c: attach, wait for the stop, registers, a word of memory,
        # detach; the same as natively, and replayed.
        nat = self.run_native([prog("app_ptrace")])
        self.assertEqual(nat.returncode, 0, nat.stderr)
        trace, rec = self.record_and_replay([prog("app_ptrace")])
        self.assertEqual(rec.stdout, nat.stdout)

    def test_leak_sanitizer_at_exit(self):
        # A program built with -fsanitize=address: LeakSanitizer's ptrace of the program's
        # threads is answered by ckrr, so it reports the leak as natively, and replay too.
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")
        nat = self.run_native([prog("lsan_leak")], env=env)
        self.assertIn(b"LeakSanitizer: detected memory leaks", nat.stderr)
        trace = self.path("lsan")
        rec = self.record(trace, [prog("lsan_leak")], env=env)
        self.assertEqual(rec.returncode, nat.returncode, rec.stderr.decode(errors="replace"))
        self.assertEqual(rec.stdout, nat.stdout)
        self.assertIn(b"LeakSanitizer: detected memory leaks", rec.stderr)
        self.assertIn(b"10 byte(s) leaked in 1 allocation(s)", rec.stderr)
        rep = self.ckrr("replay", trace)
        self.assertEqual(rep.returncode, rec.returncode, rep.stderr.decode(errors="replace"))
        self.assertIn(b"10 byte(s) leaked in 1 allocation(s)", rep.stderr)

    def test_vdso_parsed_by_the_program(self):
        # The vDSO stays visible (programs like Go's runtime parse it); its clock_gettime makes
        # a real syscall, so the time it returns is recorded and replayed.
        trace, rec = self.probe("vdso", native=False)
        self.assertIn(b"vdso: found\n__vdso_clock_gettime: found\n", rec.stdout)
        names = [l.split()[4].split("(")[0] for l in self.events(trace, "--kind", "syscall")]
        self.assertGreaterEqual(names.count("clock_gettime"), 2)
        nat = self.run_native([prog("syscall_groups"), "vdso", self.tmp])
        self.assertIn(b"vdso: found\n__vdso_clock_gettime: found\n", nat.stdout)

    def test_perf_counter_and_its_ring_buffer(self):
        # Counts differ between runs: compared between record and replay. The ring buffer is a
        # mapping of something that is not a file: its bytes at mmap time are kept.
        trace, rec = self.probe("perf", native=False)
        if b"perf_event_open: " in rec.stdout:
            self.skipTest("no perf events here: " + rec.stdout.decode())
        self.assertIn(b"perf mmap: version", rec.stdout)
        self.assertIn("mmap of anon_inode:[perf_event]", self.info(trace)["recorded conservatively"])

    def test_asynchronous_interfaces_refused(self):
        # io_uring and userfaultfd write the program's memory behind ckrr's back: refused with
        # ENOSYS, as by a kernel built without them (programs fall back).
        trace, rec = self.probe("refused", native=False)
        self.assertEqual(rec.stdout, b"io_uring_setup: ENOSYS\nuserfaultfd: ENOSYS\nmemfd_secret: ENOSYS\n")


class MemoryEdges(ProbeCase):
    """tests/programs/memory_edges.c: mremap, shared file and memfd mappings written by several
    processes, huge sparse reservations, madvise/mlock, MAP_GROWSDOWN, exec of a memfd."""

    PROGRAM = "memory_edges"

    def test_mremap(self):
        self.probe("mremap")

    def test_shared_mappings_written_by_several_processes(self):
        self.probe("shared_file")
        self.probe("memfd")

    def test_sparse_reservation(self):
        # 96 GiB reserved, 33 pages touched: the trace, its checkpoints and the state printed at
        # an event cost what was touched (the state digest once read all 32 GiB: 55 s).
        trace, rec = self.record_with_checkpoints("sparse")
        self.assert_replays(trace, rec, times=1)
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(trace) for f in fs)
        self.assertLess(size, 64 << 20)
        cps = [l.split() for l in self.ckrr("checkpoints", trace).stdout.decode().splitlines()[1:]]
        self.assertTrue(cps, "no checkpoint was taken during the sleep")
        at = str(int(cps[-1][1]) + 1)
        a = self.ckrr("replay", trace, "--to", at, "--print-state")
        b = self.ckrr("replay", trace, "--to", at, "--from-start", "--print-state")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)

    def test_advice_and_locking(self):
        self.probe("advice")

    def test_exec_of_a_memfd(self):
        # fexecve and execveat(AT_EMPTY_PATH) of a program held in a memfd: the recorder saves
        # it through /proc/PID/exe, replay gives the process that fd again.
        self.probe("exec")


if __name__ == "__main__":
    unittest.main()
