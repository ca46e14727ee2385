# Run by gdb against the stub serving `gdb_inferior spin` (an endless loop without syscalls):
# Ctrl-C (SIGINT to gdb, which sends 0x03) must stop a running `continue`.
import os
import signal
import threading

import gdb


def check(cond, what):
    if not cond:
        raise gdb.GdbError("CHECK FAILED: " + what)


gdb.execute("set confirm off")
gdb.execute("target remote 127.0.0.1:" + os.environ["CKRR_GDB_PORT"])
stops = []
gdb.events.stop.connect(lambda ev: stops.append(ev))
threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
gdb.execute("continue")
check(len(stops) == 1, "stops: %d" % len(stops))
check(isinstance(stops[0], gdb.SignalEvent) and stops[0].stop_signal == "SIGINT",
      "stop: " + str(getattr(stops[0], "stop_signal", stops[0])))
check(int(gdb.parse_and_eval("global_counter")) > 0, "the loop did not run")
gdb.execute("kill")
print("ALL CHECKS PASSED")
