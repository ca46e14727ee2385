# Run by gdb (gdb -batch -nx -x THIS) against the stub serving gdb_inferior under
# PtraceDebugTarget. Any failed check raises, which makes gdb exit non-zero.
import os
import re

import gdb


def run(cmd):
    return gdb.execute(cmd, to_string=True)


def check(cond, what):
    if not cond:
        raise gdb.GdbError("CHECK FAILED: " + what)


def refused(cmd):
    try:
        out = run(cmd)
    except gdb.error as e:
        return str(e)
    raise gdb.GdbError("CHECK FAILED: '%s' was obeyed: %s" % (cmd, out))


run("set confirm off")
run("set pagination off")
# A memory write refused by the stub shows in gdb only as "Cannot access memory at ..."; gdb's
# own refusal names the cause, so `ckrr debug` sets this (it can only change while no process
# is attached). Breakpoints go through Z packets and keep working.
run("set may-write-memory off")
run("target %s 127.0.0.1:%s" % (os.environ.get("CKRR_GDB_TARGET", "remote"), os.environ["CKRR_GDB_PORT"]))

# Registers and memory at the first stop (the exec of the program).
out = run("info registers rip")
check(re.search(r"rip\s+0x[0-9a-f]+", out) is not None, "info registers rip: " + out)
pc = int(gdb.parse_and_eval("$pc"))
out = run("x/4xb $pc")
check(out.count("0x") >= 5, "x/4xb $pc: " + out)
mem = bytes(gdb.selected_inferior().read_memory(pc, 4))
check(len(mem) == 4, "read_memory")
for reg in ("rax", "rsp", "eflags", "cs", "fs_base", "gs_base", "orig_rax", "mxcsr", "xmm0",
            "st0", "fctrl"):
    gdb.parse_and_eval("$" + reg)  # each must exist in the target description
check(int(gdb.parse_and_eval("$fctrl")) == 0x37F, "fctrl initial value")

# Threads.
out = run("info threads")
check("* 1" in out, "info threads: " + out)

# stepi moves the pc.
run("stepi")
check(int(gdb.parse_and_eval("$pc")) != pc, "stepi did not move the pc")

# Breakpoint, continue, locals, backtrace; memory must not show the int3.
run("break target_function")
run("continue")
frame = gdb.selected_frame()
check(frame.name() == "target_function", "stopped in " + str(frame.name()))
check(int(gdb.parse_and_eval("n")) == 1, "n at the first hit")
bp_addr = int(gdb.parse_and_eval("$pc"))
first = bytes(gdb.selected_inferior().read_memory(bp_addr, 1))
check(first != b"\xcc", "breakpoint visible in memory")
check("main" in run("bt"), "bt")
out = run("info sharedlibrary")
check("libc.so" in out, "info sharedlibrary: " + out)

# Second hit, then finish back into main with a return value.
run("continue")
check(int(gdb.parse_and_eval("n")) == 2, "n at the second hit")
run("finish")
# doubled (4) + global_counter (1 + 2): finish's value lands in the value history.
check(int(gdb.history(0)) == 7, "finish value: " + str(gdb.history(0)))
check(gdb.selected_frame().name() == "main", "finish returned to " + str(gdb.selected_frame().name()))
run("next")

# Writes are refused, with the stub's reason in the message where gdb shows one.
msg = refused("set $rax = 1")
print("register write refused: " + msg)
check("read-only" in msg, "register write message: " + msg)
msg = refused("set var global_counter = 5")
print("memory write refused: " + msg)
check("not allowed" in msg, "may-write-memory message: " + msg)
msg = refused("print target_function(1)")
print("call refused: " + msg)
msg = refused("jump 15")
print("jump refused: " + msg)
check(int(gdb.parse_and_eval("global_counter")) == 3, "global_counter changed")

# monitor commands reach the target; unknown ones fail.
check("pong" in run("monitor ping"), "monitor ping")
print("unknown monitor command: " + refused("monitor frobnicate"))

# Reverse execution on a live process: the stub says the history begins here.
stops = []
gdb.events.stop.connect(lambda ev: stops.append(ev))
before = int(gdb.parse_and_eval("$pc"))
run("reverse-stepi")
check(int(gdb.parse_and_eval("$pc")) == before, "reverse-stepi moved a live process")
check(len(stops) == 1, "reverse-stepi stop events: %d" % len(stops))

# Run to the end.
run("delete")
run("continue")
check(int(gdb.parse_and_eval("$_exitcode")) == 7, "exit code")
print("ALL CHECKS PASSED")
