"""Four threads that each parse a few integers (PyLong_FromString in libpython) with small
sleeps between: debugged with gdb by tests/e2e/test_gdb_threads.py."""
import threading
import time

results = [0] * 4


def work(i):
    for k in range(3):
        results[i] += int(str(1000 * (i + 1) + k))
        time.sleep(0.001)


threads = [threading.Thread(target=work, args=(i,), name="py-%d" % i) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(results)
