"""gdb on a replay: `ckrr replay TRACE --gdb :0` and `ckrr debug`, driven by real gdb in batch
mode with Python checks (a failed check raises gdb.GdbError, so gdb exits non-zero)."""
import os
import re
import shutil
import subprocess
import textwrap
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog

GDB = shutil.which("gdb")

PRELUDE = '''
import os, re, gdb

def run(cmd):
    return gdb.execute(cmd, to_string=True)

def check(cond, what):
    if not cond:
        raise gdb.GdbError("CHECK FAILED: " + what)

def val(expr):
    return int(gdb.parse_and_eval(expr))

def refused(cmd):
    try:
        out = run(cmd)
    except gdb.error as e:
        return str(e)
    raise gdb.GdbError("CHECK FAILED: '%s' was obeyed: %s" % (cmd, out))

def when():
    out = run("monitor when")
    m = re.search(r"event (\\d+) of (\\d+)", out)
    check(m is not None, "monitor when: " + out)
    return int(m.group(1))

def seek(n):
    out = run("monitor seek %d" % n)
    # The stub cannot tell gdb that the registers changed; `ckrr debug` does this in a hook.
    run("maintenance flush register-cache")
    return out

run("set confirm off")
run("set pagination off")
'''

CONNECT = '''
run("set may-write-memory off")
run("target extended-remote 127.0.0.1:" + os.environ["CKRR_GDB_PORT"])
'''


@unittest.skipIf(GDB is None, "gdb is not installed")
class GdbReplayTest(CkrrTestCase):
    def start_stub(self, trace, *extra):
        p = subprocess.Popen([CKRR, "replay", trace, "--gdb", ":0", "--once", *extra],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(self.stop, p)
        line = p.stderr.readline().decode()
        m = re.search(r"gdb stub listening on 127\.0\.0\.1:(\d+)", line)
        self.assertIsNotNone(m, "stub did not announce its port: " + line +
                             p.stderr.read().decode(errors="replace") if not m else "")
        return p, int(m.group(1))

    def stop(self, p):
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()

    def gdb_script(self, port, body, env=None):
        script = self.path("check.py")
        with open(script, "w") as f:
            f.write(PRELUDE + CONNECT + textwrap.dedent(body))
        r = subprocess.run([GDB, "-batch", "-nx", "-x", script], capture_output=True,
                           timeout=300, env={**os.environ, "CKRR_GDB_PORT": str(port),
                                             **(env or {})})
        out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, out)
        self.assertNotIn("CHECK FAILED", out)
        return out

    def record_loop(self):
        trace = self.path("loop")
        rec = self.record(trace, [prog("gdb_loop")])
        self.assertEqual(rec.returncode, 185 & 0x7f, rec.stderr)
        return trace

    def test_loop_forward_and_reverse(self):
        trace = self.record_loop()
        stub, port = self.start_stub(trace)
        out = self.gdb_script(port, '''
            start = when()
            run("break bump")
            run("continue")
            check(val("step") == 1, "first hit")
            check("local = " in run("info locals"), "info locals")
            run("continue")
            run("continue")
            check(val("step") == 3 and val("counter") == 3, "third hit")
            third_pc = val("$pc")
            # Back to the 2nd hit.
            run("reverse-continue")
            check(val("step") == 2 and val("counter") == 1, "reverse-continue to 2nd hit")
            check(val("$pc") == third_pc, "stopped on the breakpoint")
            bt = run("bt")
            check("bump" in bt and "main" in bt, "bt: " + bt)
            # reverse-finish: back to the call in main, before bump(2) ran.
            run("reverse-finish")
            check(gdb.selected_frame().name() == "main", "reverse-finish lands in main")
            check(val("i") == 2 and val("counter") == 1, "state before the call")
            # reverse-stepi goes one instruction back; stepi comes back to the same place.
            pc = val("$pc")
            run("reverse-stepi")
            back = val("$pc")
            check(back != pc, "reverse-stepi moved")
            run("stepi")
            check(val("$pc") == pc, "stepi returns to where reverse-stepi started")
            regs = run("info registers")
            check(re.search(r"rip\\s+0x", regs) and re.search(r"rsp\\s+0x", regs), regs)
            # The previous write of counter (in bump(1): 0 -> 1), stopped before it ran.
            run("delete")
            run("watch counter")
            out = run("reverse-continue")
            check(val("counter") == 0, "reverse to the write: counter %d" % val("counter"))
            check(gdb.selected_frame().name() == "bump" and val("step") == 1, "in bump(1)")
            # Forward over it again: the watchpoint reports the new value.
            run("continue")
            check(val("counter") == 1, "forward to the write")
            run("delete")
            # Writes are refused.
            check("not allowed" in refused("set var counter = 7"), "memory write refused")
            err = refused("set $rax = 0x12345")
            check("read-only" in err or "ckrr" in err, "register write refused: " + err)
            refused("print bump(1)")
            libs = run("info sharedlibrary")
            check("libc.so.6" in libs, libs)
            # monitor seek: to the 2nd write(2), then forward to the next bump call.
            here = when()
            seek(start + 3)
            check(when() == start + 3, "seek forward-less")
            seek(here + 1)
            check(when() == here + 1, "seek")
            out = run("monitor when")
            check(re.search(r"call: [a-z_0-9]+\(.*\) = ", out) is not None,
                  "monitor when names the call as ckrr events does: " + out)
            out = run("monitor checkpoint")
            check("in-memory checkpoint at event %d" % (here + 1) in out, "monitor checkpoint: " + out)
            check("in memory at event %d" % (here + 1) in run("monitor checkpoints"),
                  "monitor checkpoints")
            run("break bump")
            run("continue")
            check(val("step") == 2, "after seek, continue meets bump(2): %d" % val("step"))
            seek(start)
            run("continue")
            check(val("step") == 1, "seek back to the start, bump(1) again")
            run("delete")
            # gdb prints "No more reverse-execution history" itself (not into to_string).
            run("reverse-continue")
            check(when() == start, "replaylog:begin at the start")
            run("continue")
            check("exit" in gdb.selected_frame().name(), "the end: at the exit")
            check("at the exit" in run("monitor when"), "replaylog:end")
            run("kill")
        ''')

    def test_reverse_across_checkpoints(self):
        trace = self.path("ckpt")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "100ms", "-o", trace, "--",
                        prog("gdb_loop"), "30", "20000")
        self.assertNotEqual(rec.returncode, 125, rec.stderr)
        ckpts = self.ckrr("checkpoints", trace).stdout.decode().splitlines()[1:]
        self.assertGreaterEqual(len(ckpts), 3, "want several checkpoints")
        first_ckpt = int(ckpts[0].split()[1])
        stub, port = self.start_stub(trace, "--to", str(first_ckpt + 20))
        self.gdb_script(port, """
            check(when() == %d, "--to")
            run("break bump if step == 25")
            run("continue")
            check(val("step") == 25, "25th call")
            run("delete")
            run("break bump")
            run("reverse-continue")
            check(val("step") == 24, "reverse-continue to the 24th call")
            run("next")
            run("next")
            check(val("local") == 240, "next")
            run("reverse-next")
            check(val("local") == 240 and val("counter") == 276, "reverse-next: %%d" %% val("counter"))
            run("reverse-step")
            run("delete")
            run("watch counter")
            run("reverse-continue")
            check(val("step") == 23 and val("counter") == 253, "previous write, in bump(23)")
            run("delete")
            here = when()
            seek(%d - 3)
            check(when() == %d - 3, "seek before the first checkpoint")
            run("reverse-stepi")
            run("stepi")
            check(when() == %d - 3, "reverse-stepi over the event and back")
            seek(here)
            check(when() == here, "seek back")
            run("kill")
        """ % (first_ckpt + 20, first_ckpt, first_ckpt, first_ckpt))

    def test_crash_then_back_to_the_cause(self):
        trace = self.path("crash")
        rec = self.record(trace, [prog("crash")])
        self.assertEqual(rec.returncode, 128 + 11, rec.stderr)
        stub, port = self.start_stub(trace)
        self.gdb_script(port, """
            run("continue")
            check(gdb.selected_thread() is not None, "still alive at the fault")
            check(gdb.selected_frame().name() == "crash_here", "stopped in crash_here")
            fault_pc = val("$pc")
            check("main" in run("bt"), "bt from the fault")
            run("reverse-stepi")
            check(val("$pc") != fault_pc, "reverse-stepi leaves the faulting instruction")
            run("break crash_here")
            run("reverse-continue")
            check(gdb.selected_frame().name() == "crash_here" and val("p") == 16, "back at entry")
            run("delete")
            run("continue")
            check(val("$pc") == fault_pc, "the fault again")
            run("continue")
            check(len(gdb.selected_inferior().threads()) == 0, "then the program dies")
        """)

    def test_ctrl_c_in_both_directions(self):
        # bump() spins ~1.5 s without a syscall: no event to stop at, only Ctrl-C.
        trace = self.path("spin")
        rec = self.record(trace, [prog("gdb_loop"), "2", "0", "3000"])
        self.assertNotEqual(rec.returncode, 125, rec.stderr)
        stub, port = self.start_stub(trace)
        self.gdb_script(port, """
            import signal, threading, time
            stops = []
            gdb.events.stop.connect(lambda ev: stops.append(ev))
            def interrupted(cmd):
                del stops[:]
                threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
                t = time.monotonic()
                run(cmd)
                took = time.monotonic() - t
                check(len(stops) == 1 and isinstance(stops[0], gdb.SignalEvent)
                      and stops[0].stop_signal == "SIGINT", "%s: stopped by Ctrl-C" % cmd)
                check(took < 2.5, "%s: Ctrl-C took effect (%.2fs)" % (cmd, took))
            start = when()
            interrupted("continue")
            mid = when()
            check("at the exit" not in run("monitor when"), "not at the end")
            run("continue")
            check("at the exit" in run("monitor when"), "then runs to the end")
            interrupted("reverse-continue")
            check(start <= when(), "somewhere in the recording")
            run("kill")
        """)

    def test_python(self):
        trace = self.path("py")
        rec = self.record(trace, ["/usr/bin/python3", "-c",
                                  "import json; print(json.dumps({'a': sum(range(100))}))"])
        self.assertEqual(rec.returncode, 0, rec.stderr)
        stub, port = self.start_stub(trace)
        self.gdb_script(port, '''
            run("break PyLong_FromLong")
            # The first call comes after a long stretch of start-up code: reverse-stepi finds
            # the call instruction without single-stepping that stretch.
            run("continue")
            rsp = val("$rsp")
            run("reverse-stepi")
            check("call" in run("x/i $pc") and val("$rsp") == rsp + 8, "back on the call")
            run("stepi")
            check(val("$pc") == val("(long)&PyLong_FromLong") and val("$rsp") == rsp, "again in")
            args = []
            for _ in range(3):
                run("continue")
                check(val("$pc") == val("(long)&PyLong_FromLong"), "on PyLong_FromLong")
                args.append((val("$rdi"), val("$rsp"), when()))
            run("reverse-continue")
            check((val("$rdi"), val("$rsp"), when()) == args[1], "back at the 2nd call")
            run("reverse-stepi")
            check(val("$pc") != val("(long)&PyLong_FromLong"), "stepped back into the caller")
            run("stepi")
            check((val("$rdi"), val("$rsp")) == args[1][:2], "and forward again")
            run("continue")
            check((val("$rdi"), val("$rsp"), when()) == args[2], "forward to the 3rd call")
            check("libc.so.6" in run("info sharedlibrary"), "libraries")
            run("kill")
        ''')

    def test_debug_command_and_help(self):
        r = self.ckrr("replay", "--help")
        self.assertIn("--gdb", r.stdout.decode())
        r = self.ckrr("debug", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("gdb", r.stdout.decode())
        trace = self.record_loop()
        # ckrr debug runs $CKRR_GDB with its own -x script (read-only memory, the seek hook,
        # the connection); the wrapper adds batch mode and our checks after it.
        check = self.path("debug_check.py")
        with open(check, "w") as f:
            f.write(PRELUDE + textwrap.dedent('''
                check("not allowed" in refused("set var counter = 7"), "may-write-memory off")
                run("break bump")
                run("continue")
                run("continue")
                check(val("step") == 2, "2nd hit")
                e = when()
                pc = val("$pc")
                run("monitor seek %d" % (e - 1))  # no flush: the hook does it
                check(val("$pc") != pc, "registers refreshed after seek")
                run("continue")
                check(val("step") == 2 and val("$pc") == pc, "same hit again")
                run("kill")
            '''))
        wrapper = self.path("gdbwrap.sh")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec %s -batch -nx "$@" -x %s\n' % (GDB, check))
        os.chmod(wrapper, 0o755)
        r = self.ckrr("debug", trace, env={**os.environ, "CKRR_GDB": wrapper})
        out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, out)
        self.assertNotIn("CHECK FAILED", out)


if __name__ == "__main__":
    unittest.main()
