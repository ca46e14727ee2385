"""Text input for compressors (xz in tests/e2e/test_threads.py and bench/run_threads.py)."""
import random


def words_file(path, size, seed=1234):
    """`size` bytes of lines of words drawn from a fixed vocabulary with a fixed seed:
    compressible (about 3:1 with xz) but not trivially."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
             for _ in range(2000)]
    chunks, n = [], 0
    while n < size:
        line = " ".join(rng.choice(vocab) for _ in range(rng.randint(4, 14))) + "\n"
        chunks.append(line)
        n += len(line)
    with open(path, "w") as f:
        f.write("".join(chunks)[:size])
