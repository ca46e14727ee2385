"""Eight threads hashing 2 MiB each; prints one digest per thread, in thread order.
hashlib releases the GIL for large inputs, so the threads really run at once. Recorded by
tests/e2e/test_threads.py and measured by bench/run_threads.py."""
import hashlib
import random
import threading

N = 8
digests = [None] * N


def work(i):
    data = random.Random(i).randbytes(2 << 20)
    digests[i] = hashlib.sha256(data).hexdigest()


threads = [threading.Thread(target=work, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for i, d in enumerate(digests):
    print(i, d)
