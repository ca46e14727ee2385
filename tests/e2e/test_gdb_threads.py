"""gdb on recordings with several threads and processes (issue 13): real gdb in batch mode with
Python checks, as test_gdb_replay.py, on a 4-thread C program, python3 with threads and a
fork+exec tree."""
import os
import re
import shutil
import socket
import subprocess
import unittest

import test_gdb_replay as base
from ckrr_testlib import CKRR, CkrrTestCase, prog

GDB = base.GDB
PYTHON = "/usr/bin/python3"
SOURCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "programs")


@unittest.skipIf(GDB is None, "gdb is not installed")
class GdbThreadsTest(CkrrTestCase):
    stop = base.GdbReplayTest.stop

    def start_stub(self, trace, *extra, cwd=None):
        p = subprocess.Popen([os.path.abspath(CKRR), "replay", trace, "--gdb", ":0", *extra],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
        self.addCleanup(self.stop, p)
        line = p.stderr.readline().decode()
        m = re.search(r"gdb stub listening on 127\.0\.0\.1:(\d+)", line)
        if not m:
            p.kill()
            self.fail("stub did not announce its port: " + line + p.stderr.read().decode())
        return p, int(m.group(1))
    gdb_script = base.GdbReplayTest.gdb_script

    def record_threads(self, *opts):
        trace = self.path("threads")
        rec = self.ckrr("record", "-q", *opts, "-o", trace, "--", prog("gdb_threads"))
        self.assertEqual(rec.returncode, 0, rec.stderr)
        native = subprocess.run([prog("gdb_threads")], capture_output=True)
        # racy_global is a real data race: a native run may lose updates (497 of 500 seen in
        # the sanitizer CI run), so only the locked counter is the native oracle; the racy
        # total must be one a run of these threads can produce.
        pattern = rb"counter (\d+) racy (\d+)\n"
        got, want = re.fullmatch(pattern, rec.stdout), re.fullmatch(pattern, native.stdout)
        self.assertIsNotNone(got, rec.stdout)
        self.assertIsNotNone(want, native.stdout)
        self.assertEqual(got.group(1), want.group(1))
        self.assertTrue(0 < int(got.group(2)) <= 500, rec.stdout)
        return trace

    def test_threads_break_switch_watch_reverse(self):
        trace = self.record_threads()
        stub, port = self.start_stub(trace)
        self.gdb_script(port, '''
            run("break add_one")
            run("continue")
            first = gdb.selected_thread()
            check(first.name.startswith("worker-"), "stopped in a worker: %s" % first.name)
            check(val("who") == int(first.name.split("-")[1]), "who matches the thread's name")
            # Run until every worker exists, then list them.
            for i in range(40):
                if len(gdb.selected_inferior().threads()) == 5: break
                run("continue")
            out = run("info threads")
            check(len(gdb.selected_inferior().threads()) == 5, "5 threads: " + out)
            for n in range(1, 5):
                check('"worker-%d"' % n in out, "name worker-%d in: %s" % (n, out))
            run("thread 3")
            check(gdb.selected_thread().num == 3, "thread 3 selected")
            bt = run("bt")
            check("worker" in bt and "start_thread" in bt, "bt of thread 3: " + bt)
            # Continue to the next hit in another thread than the current stop's; run on to a
            # worker's first call, so that the last write to racy_global is another thread's.
            cur = first.ptid
            seen = set([first.ptid])
            switched = None
            for i in range(200):
                run("continue")
                t = gdb.selected_thread()
                if switched is None and t.ptid != cur:
                    switched = t.ptid
                    check(gdb.selected_frame().name() == "add_one", "in add_one")
                    check(val("who") == int(t.name.split("-")[1]), "other thread's who")
                if t.ptid not in seen and len(seen) >= 2: break
                seen.add(t.ptid)
            check(switched is not None, "a hit in another thread")
            stop_thread = gdb.selected_thread()
            # Which thread wrote racy_global last? Going back tells, whichever it was.
            run("delete")
            after = val("racy_global")
            run("watch racy_global")
            run("reverse-continue")
            writer = gdb.selected_thread()
            check(gdb.selected_frame().name() == "add_one", "stopped at the write in add_one")
            who = val("who")
            check(writer.name == "worker-%d" % who, "gdb shows the writer %s (who %d)" % (writer.name, who))
            check(writer.ptid != stop_thread.ptid, "the last writer is another thread")
            before = val("racy_global")
            # Forward again over that write: it adds the writer's `who`, and it was the last one.
            run("continue")
            check(gdb.selected_thread().ptid == writer.ptid, "forward: same writer")
            check(val("racy_global") == before + who, "the write adds who")
            check(val("racy_global") == after, "it was the last write before the stop: %d %d" % (val("racy_global"), after))
            run("delete")
            # reverse-finish from a worker: back to the call in worker(), same thread.
            run("break add_one")
            run("continue")
            t = gdb.selected_thread().ptid
            run("reverse-finish")
            check(gdb.selected_frame().name() == "worker", "reverse-finish lands in worker")
            check(gdb.selected_thread().ptid == t, "same thread after reverse-finish")
            # monitor when / seek on a threaded recording: back to an event, then forward to
            # the same next call.
            out = run("monitor when")
            check(re.search(r"thread: %d" % t[1], out) is not None, "when names the thread: " + out)
            n = when()
            run("delete")
            seek(n - 3)
            check(when() == n - 3, "seek")
            check(len(gdb.selected_inferior().threads()) >= 2, "threads after seek")
            run("break add_one")
            run("continue")
            check(gdb.selected_frame().name() == "add_one", "continue after seek")
            run("kill")
        ''')

    def test_python_threads(self):
        trace = self.path("py")
        script = os.path.join(SOURCES, "py_gdb_threads.py")
        rec = self.ckrr("record", "-q", "-o", trace, "--", PYTHON, script)
        self.assertEqual(rec.returncode, 0, rec.stderr)
        self.assertEqual(rec.stdout, subprocess.run([PYTHON, script], capture_output=True).stdout)
        stub, port = self.start_stub(trace)
        self.gdb_script(port, '''
            def where():
                out = run("monitor when")
                return re.search(r"position: (.*)", out).group(1)
            run("break PyLong_FromString")
            hits = []
            for i in range(6):
                run("continue")
                check("PyLong_FromString" in gdb.selected_frame().name(), "stopped in libpython")
                hits.append((gdb.selected_thread().ptid, where()))
            check(len(set(h[0] for h in hits)) >= 2, "hits in several threads: %s" % hits)
            out = run("info threads")
            # The main thread and every worker that hit, at least (how many workers the main
            # thread has started by the 6th hit is the recording's schedule: with the agent the
            # workers make fewer stops, and the 4th may not have started yet).
            n = len(gdb.selected_inferior().threads())
            check(n >= 1 + len(set(h[0] for h in hits)) and n <= 5, "threads: " + out)
            bts = run("thread apply all bt")
            check(bts.count("Thread ") >= n and "PyLong_FromString" in bts, bts)
            # Back to the previous hit, whichever thread made it.
            for k in (4, 3):
                run("reverse-continue")
                check(gdb.selected_frame().name() == "PyLong_FromString", "reverse-continue: a hit")
                got = (gdb.selected_thread().ptid, where())
                check(got == hits[k], "previous hit %s, not %s" % (hits[k], got))
            run("kill")
        ''')

    def test_fork_exec_tree_pid(self):
        trace = self.path("tree")
        rec = subprocess.run([os.path.abspath(CKRR), "record", "-q", "-o", trace, "--", "sh", "-c",
                              "sleep 0.1; ./gdb_loop"], capture_output=True, timeout=300,
                             cwd=os.path.dirname(os.path.abspath(prog("gdb_loop"))))
        self.assertEqual(rec.returncode, 185 & 0x7f, rec.stderr)
        info = self.ckrr("info", trace).stdout.decode()
        m = re.search(r"process (\d+) \(ppid=\d+, exit \d+\) \S*gdb_loop", info)
        self.assertIsNotNone(m, info)
        child = m.group(1)
        bad = self.ckrr("replay", trace, "--gdb", ":0", "--pid", "999999")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("no process 999999", bad.stderr.decode())
        self.assertIn(child, bad.stderr.decode())
        # (Replay starts the program in ckrr's cwd, not the recorded one: the relative exec
        # needs the same directory.)
        stub, port = self.start_stub(trace, "--pid", child,
                                     cwd=os.path.dirname(os.path.abspath(prog("gdb_loop"))))
        self.gdb_script(port, '''
            check(gdb.selected_inferior().pid == %s, "the child is the inferior")
            start = when()
            run("break main")
            run("continue")
            check(gdb.selected_frame().name() == "main", "main of the exec'd child")
            line = gdb.selected_frame().find_sal().line
            run("next")
            run("next")
            check(val("n") == 5, "n")
            after = gdb.selected_frame().find_sal().line
            run("reverse-step")
            check(gdb.selected_frame().find_sal().line < after, "reverse-step went back a line")
            check(gdb.selected_frame().find_sal().line >= line, "still in main")
            run("break bump")
            run("continue")
            run("continue")
            check(val("step") == 2 and val("counter") == 1, "bump(2)")
            run("reverse-continue")
            check(val("step") == 1 and val("counter") == 0, "back to bump(1)")
            run("kill")
        ''' % child)

    def test_reverse_across_checkpoints_with_threads(self):
        trace = self.path("threads-ckpt")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "100ms", "-o", trace, "--",
                        prog("gdb_threads"), "300", "20000")
        self.assertEqual(rec.returncode, 0, rec.stderr)
        ckpts = [int(l.split()[1]) for l in
                 self.ckrr("checkpoints", trace).stdout.decode().splitlines()[1:]]
        self.assertGreaterEqual(len(ckpts), 3, "want several checkpoints")
        at = ckpts[2]
        stub, port = self.start_stub(trace, "--to", str(at))
        self.gdb_script(port, '''
            def where():
                out = run("monitor when")
                return re.search(r"position: (.*)", out).group(1)
            check(when() == %d, "--to a checkpoint's event")
            run("break add_one")
            # The previous call lies before the checkpoint: the search goes back across it.
            run("reverse-continue")
            check(gdb.selected_frame().name() == "add_one", "a hit before the checkpoint")
            back = when()
            check(back < %d, "before the checkpoint: %%d" %% back)
            t, p = gdb.selected_thread().ptid, where()
            check(gdb.selected_thread().name == "worker-%%d" %% val("who"), "thread and who")
            # No call in between: forward, the next one is past the checkpoint.
            run("continue")
            check(when() >= %d, "next hit after the start")
            hits = [(gdb.selected_thread().ptid, where())]
            run("continue")
            run("continue")
            hits.append((gdb.selected_thread().ptid, where()))
            run("reverse-continue")
            run("reverse-continue")
            check((gdb.selected_thread().ptid, where()) == hits[0], "back two hits")
            run("reverse-continue")
            check((gdb.selected_thread().ptid, where()) == (t, p), "back to the first one found")
            # The last write to racy_global before here, across the checkpoints too.
            run("delete")
            run("watch racy_global")
            run("reverse-continue")
            who = val("who")
            check(gdb.selected_thread().name == "worker-%%d" %% who, "the writer is shown")
            before = val("racy_global")
            run("continue")
            check(val("racy_global") == before + who, "forward over the write")
            run("kill")
        ''' % (at, at, at))

    def test_port_probe_detach_and_reattach(self):
        trace = self.record_threads()
        stub, port = self.start_stub(trace)
        # A port probe: connect and close without a packet. The stub must still serve gdb.
        with socket.create_connection(("127.0.0.1", port)) as s:
            pass
        self.gdb_script(port, '''
            run("break add_one")
            run("continue")
            run("continue")
            out = run("monitor when")
            with open(os.environ["CKRR_WHEN"], "w") as f:
                f.write(out)
            run("detach")
        ''', env={"CKRR_WHEN": self.path("when1")})
        self.assertIsNone(stub.poll(), "the stub ended at the detach")
        with open(self.path("when1")) as f:
            first = f.read()
        # Another gdb finds the replay where the first one left it, and kill ends the stub.
        self.gdb_script(port, '''
            out = run("monitor when")
            check(out == open(os.environ["CKRR_WHEN"]).read(), "same place: " + out)
            check(gdb.selected_frame().name() == "add_one", "still in add_one")
            run("break add_one")
            run("continue")
            check(gdb.selected_frame().name() == "add_one", "goes on")
            run("reverse-continue")
            check(run("monitor when") == open(os.environ["CKRR_WHEN"]).read(), "and back")
            run("kill")
        ''', env={"CKRR_WHEN": self.path("when1")})
        self.assertEqual(stub.wait(timeout=30), 0)

    def test_breakpoints_in_preempted_stretches(self):
        # spin_token's threads switch only by preemption (no syscall while they spin): the
        # stretches that end at a preemption point must be watched like the others.
        trace = self.path("spin")
        n = 30
        rec = self.ckrr("record", "-q", "-o", trace, "--", prog("spin_token"), str(n))
        self.assertEqual(rec.returncode, 0, rec.stderr)
        info = self.ckrr("info", trace).stdout.decode()
        m = re.search(r"preemptions: (\d+)", info)
        self.assertTrue(m and int(m.group(1)) > 0, info)
        stub, port = self.start_stub(trace)
        self.gdb_script(port, '''
            run("break work")
            hits = 0
            while True:
                out = run("continue")
                if not gdb.selected_inferior().threads() or gdb.selected_frame().name() != "work":
                    break
                hits += 1
            # work() runs twice per pass in each of the 2 threads, as natively.
            check(hits == 4 * %d, "hits of work: %%d" %% hits)
            run("delete")
            run("watch passes")
            run("reverse-continue")
            check(val("passes") == 2 * %d - 1, "before the last write of passes: %%d" %% val("passes"))
            run("reverse-continue")
            check(val("passes") == 2 * %d - 2, "and the one before: %%d" %% val("passes"))
            run("kill")
        ''' % (n, n, n))

    def test_reverse_next_across_other_threads(self):
        trace = self.record_threads()
        src = os.path.join(SOURCES, "gdb_threads.c")
        lines = open(src).read().splitlines()
        call = lines.index("    add_one(who);") + 1
        sleep = next(i for i, l in enumerate(lines) if "usleep(sleep_us)" in l) + 1
        stub, port = self.start_stub(trace)
        self.gdb_script(port, '''
            run("break gdb_threads.c:%d if i == 1")
            run("continue")
            t = gdb.selected_thread().ptid
            start = when()
            # Back over the loop's increment and over usleep(), during which the other
            # threads ran: the same thread's previous lines, events earlier.
            run("reverse-next")
            run("reverse-next")
            check(gdb.selected_thread().ptid == t, "same thread")
            check(val("i") == 0, "i back to 0")
            check(gdb.selected_frame().find_sal().line == %d, "on the usleep line")
            check(when() < start, "before the other threads' events: %%d < %%d" %% (when(), start))
            run("next")
            run("next")
            check(gdb.selected_thread().ptid == t and val("i") == 1, "forward again")
            check(gdb.selected_frame().find_sal().line == %d, "at the call again")
            run("kill")
        ''' % (call, sleep, call))
